using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Grove.Testing;

/// <summary>The real `grove` program in a child process, with its output captured line by line.</summary>
public sealed class GroveProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<int> _plainPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _ircPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _webPort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GroveProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;
    public string StdOut { get { lock (_stdout) return _stdout.ToString(); } }
    public string StdErr { get { lock (_stderr) return _stderr.ToString(); } }
    public Process Process => _process;

    /// <summary>The folder holding grove.dll, built with the solution.</summary>
    public static string GroveDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Grove.slnx"))) dir = dir.Parent;
            if (dir is null) throw new InvalidOperationException("Cannot find the repository root (Grove.slnx).");
            var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var dll = Path.Combine(dir.FullName, "src", "Grove", "bin", config, "net10.0", "grove.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build the solution first.");
            return dll;
        }
    }

    /// <summary>
    /// Starts grove; with <paramref name="openFiles"/>, under that open-file limit (soft and hard, through prlimit, which
    /// execs); with <paramref name="launcher"/>, through that command (its program and arguments, before `dotnet`).
    /// </summary>
    public static GroveProcess Start(string[] args, string workingDirectory, IDictionary<string, string>? env = null, bool redirectInput = false,
        int? openFiles = null, IReadOnlyList<string>? launcher = null)
    {
        var psi = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : openFiles is null ? "dotnet" : "prlimit")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var a in launcher.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("dotnet");
        }
        else if (openFiles is { } n)
        {
            psi.ArgumentList.Add($"--nofile={n}:{n}");
            psi.ArgumentList.Add("dotnet");
        }
        psi.ArgumentList.Add(GroveDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("GROVE_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(k);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var gp = new GroveProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (gp._stdout) gp._stdout.AppendLine(e.Data);
            gp._lines.Writer.TryWrite(e.Data);
            var m = Regex.Match(e.Data, "The plain door listens on [^ ]+:(\\d+) ");
            if (m.Success) gp._plainPort.TrySetResult(int.Parse(m.Groups[1].Value));
            m = Regex.Match(e.Data, "The irc door listens on [^ ]+:(\\d+) ");
            if (m.Success) gp._ircPort.TrySetResult(int.Parse(m.Groups[1].Value));
            m = Regex.Match(e.Data, "The web door listens on [^ ]+:(\\d+) ");
            if (m.Success) gp._webPort.TrySetResult(int.Parse(m.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (gp._stderr) gp._stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gp;
    }

    /// <summary>Runs grove serve on ephemeral ports in <paramref name="folder"/> and waits until it listens.</summary>
    public static Task<GroveProcess> ServeAsync(TempFolder folder, params string[] extra) => ServeAsync(folder, null, extra);

    /// <summary>Runs grove serve as <see cref="ServeAsync(TempFolder, string[])"/> does, under an open-file limit when one is given.</summary>
    public static async Task<GroveProcess> ServeAsync(TempFolder folder, int? openFiles, params string[] extra)
    {
        var args = new List<string> { "serve", "--port", "0", "--irc-port", "0", "--http-port", "0", "--flood-control", "false", "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, "server_log.txt") };
        args.AddRange(extra);
        var p = Start([.. args], folder.Path, openFiles: openFiles);
        await p.PlainEndPointAsync();
        return p;
    }

    /// <summary>Waits for a line of standard output matching <paramref name="pattern"/>.</summary>
    public async Task<string> ExpectOutputAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        // 30 s by default: the first line waits for a dotnet process to start on a loaded machine.
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (regex.IsMatch(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no output line matching /{pattern}/. stdout: {StdOut} stderr: {StdErr}");
        }
    }

    public async Task SendInputAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    public async Task<IPEndPoint> PlainEndPointAsync()
    {
        var exited = _process.WaitForExitAsync();
        var port = _plainPort.Task;
        var done = await Task.WhenAny(port, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != port) throw new InvalidOperationException($"grove did not start listening. stdout: {StdOut} stderr: {StdErr}");
        return new IPEndPoint(IPAddress.Loopback, await port);
    }

    /// <summary>The IRC door's address, once the server has said it listens.</summary>
    public async Task<IPEndPoint> IrcEndPointAsync()
    {
        var port = await _ircPort.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>The web door's address (HTTP and /ws), once the server has said it listens.</summary>
    public async Task<IPEndPoint> WebEndPointAsync()
    {
        var port = await _webPort.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new IPEndPoint(IPAddress.Loopback, port);
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString()]);
        kill!.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        }
        _process.Dispose();
    }
}
