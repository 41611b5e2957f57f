using System.Diagnostics;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>
/// README's install line (issue 25: "The README's install line, run on a fresh clone, leaves a `grove` that starts the
/// server"): scripts/install.sh publishes one self-contained file into PREFIX/bin, and that file serves.
/// </summary>
public sealed class InstallProcessTests
{
    // A self-contained publish takes minutes on two shared cores.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(12);

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Grove.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Grove.slnx).");
    }

    private static async Task<(int Code, string Output)> Run(string file, IEnumerable<string> args, string cwd, IDictionary<string, string> env, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task The_install_script_leaves_one_grove_file_that_starts_the_server()
    {
        using var folder = new TempFolder();
        var prefix = Path.Combine(folder.Path, "prefix");
        var (code, output) = await Run("bash", [Path.Combine(RepositoryRoot(), "scripts", "install.sh")], folder.Path,
            new Dictionary<string, string> { ["PREFIX"] = prefix }, PublishTimeout);
        Assert.True(code == 0, output);
        var grove = Path.Combine(prefix, "bin", "grove");
        Assert.Contains($"Installed {grove}", output);
        Assert.Equal([grove], Directory.GetFiles(Path.Combine(prefix, "bin")));

        // The installed file on its own, not dotnet: it serves and stops cleanly on SIGTERM.
        var data = Path.Combine(folder.Path, "data");
        var psi = new ProcessStartInfo(grove, ["serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1", "--data", data, "--log-file", Path.Combine(folder.Path, "log.txt")])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(folder.Path, "extract");
        using var server = Process.Start(psi)!;
        var running = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OutputDataReceived += (_, e) => { if (e.Data?.Contains("The plain door listens on") == true) running.TrySetResult(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var line = await running.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var port = int.Parse(System.Text.RegularExpressions.Regex.Match(line, "listens on [^ ]+:(\\d+) ").Groups[1].Value);
        await using (var c = await LineClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)))
            await c.ExpectAsync("^What is your name\\?$");
        Process.Start("kill", ["-TERM", server.Id.ToString()])!.WaitForExit();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.WaitForExitAsync(stop.Token);
        Assert.Equal(0, server.ExitCode);
        Assert.True(File.Exists(Path.Combine(data, "grove.db")));
    }
}
