using System.Diagnostics;
using System.Net;
using Grove.Testing;
using Microsoft.Data.Sqlite;

namespace Grove.Tests;

/// <summary>The data folder on a real 2 MB tmpfs (mounted and removed by the test; needs root) that fills up.</summary>
public sealed class DiskFullProcessTests
{
    private const string Refusal = "! The server cannot store messages right now; try again in a moment.";

    [Fact]
    public async Task A_full_disk_refuses_messages_instead_of_delivering_them_unstored_and_the_store_recovers_when_space_returns()
    {
        // Issue 20, item 1: "while it cannot store, nothing is delivered that is not stored: the senders of the
        // unstored batch get `! The server cannot store messages right now; try again in a moment.`, /healthz says
        // so, and becomes ok again after recovery. Shutdown is clean, exit 0."
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        Directory.CreateDirectory(data);
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", data);
        try
        {
            var delivered = new List<string>();
            var refused = new List<string>();
            await using (var p = await GroveProcess.ServeAsync(folder))
            {
                var web = await p.ExpectOutputAsync("The web door listens on ");
                var health = new Uri($"http://{web.Split("listens on ")[1].Split(' ')[0]}/healthz");
                using var http = new HttpClient();
                var ep = await p.PlainEndPointAsync();
                await using var alice = await LineClient.JoinAsync(ep, "alice");
                await using var bob = await LineClient.JoinAsync(ep, "bob");
                await alice.LinesUntilBarrierAsync();
                await bob.LinesUntilBarrierAsync();

                // Leave the database about 256 KB.
                var filler = Path.Combine(data, "filler");
                Fill(filler);
                using (var f = new FileStream(filler, FileMode.Open)) f.SetLength(Math.Max(0, f.Length - 256 * 1024));

                var pad = new string('x', 1000);
                async Task SendAndAccount(string tag)
                {
                    await alice.SendAsync($"{tag} {pad}");
                    var answer = await alice.LinesUntilBarrierAsync();
                    if (answer.Contains(Refusal)) refused.Add(tag);
                    else delivered.Add(tag);
                    Assert.DoesNotContain(answer, l => l.StartsWith("! ", StringComparison.Ordinal) && l != Refusal);
                }
                for (var i = 0; i < 3000 && refused.Count == 0; i++) await SendAndAccount($"m{i}");
                Assert.NotEmpty(refused); // the disk filled, and the message that did not fit was refused
                // /healthz says so. Without traffic the store is probed every second with a one-page write, which can
                // pass once the checkpoint thread has let the log start over in space it already holds: on a machine
                // slow enough to pass that second before the request, the probe has turned it ok (and logged so).
                // Then messages fit again until the disk is full once more, and the next refusal is checked.
                for (var again = 0; (await http.GetAsync(health)).StatusCode != HttpStatusCode.ServiceUnavailable; again++)
                {
                    Assert.True(again < 10, "/healthz never said 503 right after a refusal");
                    Assert.Contains("The store works again", await File.ReadAllTextAsync(Path.Combine(folder.Path, "server_log.txt")));
                    var before = refused.Count;
                    for (var i = 0; i < 100 && refused.Count == before; i++) await SendAndAccount($"again{again}-{i}");
                }
                for (var i = 0; i < 10; i++) await SendAndAccount($"full{i}");

                // Space returns: the store finds out by itself, with no message sent.
                File.Delete(filler);
                var deadline = Stopwatch.StartNew();
                while ((await http.GetAsync(health)).StatusCode != HttpStatusCode.OK)
                {
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "/healthz did not turn ok after space returned");
                    await Task.Delay(100);
                }
                for (var i = 0; i < 15; i++) await SendAndAccount($"after{i}");
                Assert.Equal(Enumerable.Range(0, 15).Select(i => $"after{i}"), delivered.Where(t => t.StartsWith("after")));

                // Bob saw exactly the messages that were not refused, no more.
                var seen = (await bob.LinesUntilBarrierAsync()).Where(l => l.StartsWith("alice: ", StringComparison.Ordinal))
                    .Select(l => l["alice: ".Length..].Split(' ')[0]).ToList();
                Assert.Equal(delivered, seen);

                p.Signal("TERM");
                Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(15)));
                Assert.DoesNotContain("Unhandled", p.StdErr + p.StdOut);
            }

            // Stored is exactly what was delivered.
            SQLitePCL.Batteries_V2.Init();
            var stored = new List<string>();
            using (var c = new SqliteConnection($"Data Source={Path.Combine(data, "grove.db")};Mode=ReadOnly;Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT text FROM messages ORDER BY id";
                using var r = cmd.ExecuteReader();
                while (r.Read()) stored.Add(r.GetString(0).Split(' ')[0]);
            }
            Assert.Equal(delivered, stored);
        }
        finally
        {
            Run("umount", "-l", data);
        }
    }

    // Writes until the file system is full.
    private static void Fill(string path)
    {
        var chunk = new byte[16 * 1024];
        using var f = new FileStream(path, FileMode.Create);
        try
        {
            while (true)
            {
                f.Write(chunk);
                f.Flush();
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} failed (this test needs root for a tmpfs): {error}");
    }
}
