using Grove.Testing;

namespace Grove.Tests;

/// <summary>
/// docs/operations.md, "Server operators": a name in --server-operators cannot be registered from a door; its account
/// is made on the server's machine with `grove account create NAME`.
/// </summary>
public sealed class AccountProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private const string Password = "correct horse battery";

    private static async Task<GroveProcess> CreateAccountAsync(TempFolder folder, string name, string passwordLine)
    {
        var p = GroveProcess.Start(["account", "create", name, "--data", Path.Combine(folder.Path, "data")], folder.Path, redirectInput: true);
        await p.SendInputAsync(passwordLine);
        p.CloseInput();
        await p.WaitForExitAsync(ExitTimeout);
        return p;
    }

    private static async Task StopAsync(GroveProcess server)
    {
        server.Signal("TERM");
        Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task An_operator_name_is_warned_about_refused_to_guests_and_created_on_the_machine()
    {
        using var folder = new TempFolder();
        await using (var server = await GroveProcess.ServeAsync(folder, "--server-operators", "root, admin"))
        {
            await server.ExpectOutputAsync("The server operator \"root\" has no account yet .*grove account create root");
            await server.ExpectOutputAsync("The server operator \"admin\" has no account yet");
            await using var guest = await LineClient.JoinAsync(await server.PlainEndPointAsync(), "root");
            await guest.SendAsync($"/register {Password}");
            await guest.ExpectAsync("^! The name root is kept for a server operator; its account is created on the server's machine\\.$");
            await guest.SendAsync("/audit *");
            await guest.ExpectAsync("^! ");
            await StopAsync(server);
        }

        await using (var created = await CreateAccountAsync(folder, "root", Password))
        {
            Assert.Equal(0, created.Process.ExitCode);
            Assert.Contains("The account root is created in", created.StdOut);
        }
        await using (var again = await CreateAccountAsync(folder, "ROOT", Password))
        {
            Assert.Equal(1, again.Process.ExitCode);
            Assert.Equal($"grove account: An account called ROOT already exists in {Path.Combine(folder.Path, "data")}. No account was created.", again.StdErr.Trim());
        }

        await using (var server = await GroveProcess.ServeAsync(folder, "--server-operators", "root, admin"))
        {
            await server.ExpectOutputAsync("is running");
            Assert.Contains("The server operator \"admin\" has no account yet", server.StdOut);
            Assert.DoesNotContain("The server operator \"root\"", server.StdOut);
            await using var root = await LineClient.ConnectAsync(await server.PlainEndPointAsync());
            await root.ExpectAsync("^What is your name\\?$");
            await root.SendAsync("root");
            await root.ExpectAsync("^The name root is registered\\. Type its password");
            await root.SendAsync(Password);
            await root.ExpectAsync("^\\* Welcome, root!");
            await root.SendAsync("/audit *");
            await root.ExpectAsync("^\\*   .* UTC root: register-account root \\(on the server's machine");
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task A_short_password_or_a_bad_name_creates_nothing_and_says_why_in_one_line()
    {
        using var folder = new TempFolder();
        await using (var shortOne = await CreateAccountAsync(folder, "root", "short"))
        {
            Assert.Equal(1, shortOne.Process.ExitCode);
            Assert.Equal("grove account: Choose a password of at least 8 characters. No account was created.", shortOne.StdErr.Trim());
        }
        await using (var badName = await CreateAccountAsync(folder, "#root", Password))
        {
            Assert.Equal(1, badName.Process.ExitCode);
            Assert.Single(badName.StdErr.Trim().Split('\n'));
            Assert.StartsWith("grove account: ", badName.StdErr);
        }
        Assert.False(File.Exists(Path.Combine(folder.Path, "data", "grove.db")));
    }
}
