using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>Wireshark's command line, as the product owner runs it on exported captures. .ci/run installs it.</summary>
internal static class Tshark
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("tshark is not installed: apt-get install -y tshark (see .ci/run).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().Within(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"tshark {string.Join(' ', args)} exited with {process.ExitCode}: {await error}");
            return await output;
        }
    }

    /// <summary>
    /// <c>tshark -r FILE -qz follow,PROTO,raw,N</c>: the bytes each side sent in stream N, as Wireshark's
    /// "Follow Stream" reassembles them. Node 0 is the side that spoke first.
    /// </summary>
    public static async Task<(byte[] Node0, byte[] Node1, string Node0Name, string Node1Name)> FollowAsync(string file, string protocol, int stream)
    {
        var text = await RunAsync("-r", file, "-qz", $"follow,{protocol},raw,{stream}");
        var node0 = new MemoryStream();
        var node1 = new MemoryStream();
        string name0 = "", name1 = "";
        var inData = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("Node 0: ", StringComparison.Ordinal))
            {
                name0 = line[8..].Trim();
            }
            else if (line.StartsWith("Node 1: ", StringComparison.Ordinal))
            {
                name1 = line[8..].Trim();
                inData = true;
            }
            else if (line.StartsWith("=====", StringComparison.Ordinal))
            {
                inData = false;
            }
            else if (inData && line.Trim().Length > 0)
            {
                (line.StartsWith('\t') ? node1 : node0).Write(Convert.FromHexString(line.Trim()));
            }
        }

        return (node0.ToArray(), node1.ToArray(), name0, name1);
    }
}
