using System.Diagnostics;
using Grove.Bench;

namespace Grove.Tests;

/// <summary>How `grove bench` reads the CPU of a process tree (a cluster's PostgreSQL: the postmaster and its backends).</summary>
public sealed class ProcStatsProcessTests
{
    [Fact]
    public async Task The_cpu_of_a_child_that_ended_during_the_run_stays_counted_in_its_parents_tree()
    {
        // A parent that, when told, runs a busy child to its end (and waits for it), then waits to be told again.
        var info = new ProcessStartInfo("sh", ["-c", "read go; sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; echo done; read stop"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var parent = Process.Start(info)!;
        try
        {
            var before = ProcStats.TreeCpuSeconds([parent.Id]);
            Assert.NotNull(before);
            await parent.StandardInput.WriteLineAsync("go");
            await parent.StandardInput.FlushAsync();
            Assert.Equal("done", await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));

            // The child is gone; its time is in the parent's "children" fields now, not in the parent's own.
            var tree = ProcStats.TreeCpuSeconds([parent.Id])!.Value - before.Value;
            var own = ProcStats.CpuSeconds(parent.Id)!.Value;
            Assert.True(tree >= 0.05, $"the tree used {tree:0.00} s");
            Assert.True(tree > own + 0.04, $"the tree used {tree:0.00} s, the parent alone {own:0.00} s");
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
        }
    }

    [Fact]
    public void A_tree_of_processes_that_are_gone_reads_as_unknown() =>
        Assert.Null(ProcStats.TreeCpuSeconds([int.MaxValue]));
}
