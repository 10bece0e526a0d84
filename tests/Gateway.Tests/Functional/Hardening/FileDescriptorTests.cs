using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>The gateway never runs out of file descriptors: limits fitted under RLIMIT_NOFILE, HTTP connections capped.</summary>
public sealed class FileDescriptorTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private static readonly string[] FreePorts =
        ["--urls", "http://127.0.0.1:0", "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0"];

    [Fact]
    public async Task LowFileLimit_SoftRaisedToHard_DefaultsLowered_AnIdleHttpFloodIsRefusedAndCounted_SessionsKeepWorking()
    {
        using var gateway = GatewayProcess.StartWithFileLimit(256, 1024, FreePorts);
        var url = new Uri((await gateway.WaitForLineAsync(@"Now listening on: (http://127\.0\.0\.1:\d+)", StartTimeout)).Groups[1].Value);
        var tcpPort = int.Parse((await gateway.WaitForLineAsync(@"Listener tcp listening on tcp 127\.0\.0\.1:(\d+)", StartTimeout)).Groups[1].Value);
        Assert.Contains(gateway.Lines, l => l.Contains("RLIMIT_NOFILE") && l.Contains("MaxSessions lowered"));
        var limits = await File.ReadAllLinesAsync($"/proc/{gateway.Id}/limits");
        Assert.Matches(@"Max open files\s+1024\s+1024", Assert.Single(limits, l => l.StartsWith("Max open files", StringComparison.Ordinal)));

        // A session opened before the flood.
        using var session = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await session.ConnectAsync(IPAddress.Loopback, tcpPort).Within();
        await session.SendTextAsync("before");

        // More idle HTTP connections than the process has descriptors.
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 1200; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, url.Port).Within();
            }

            await session.SendTextAsync(" during");
            Assert.False(gateway.HasExited, "the gateway died under the flood");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }

        using var http = new HttpClient { BaseAddress = url };
        var stats = await Timeouts.Eventually(async () =>
        {
            try
            {
                return (object)await http.GetFromJsonAsync<JsonElement>("/api/stats").Within();
            }
            catch (HttpRequestException)
            {
                return null; // the flood's connections are still being let go
            }
        }, "the API answering again");
        Assert.True(((JsonElement)stats).GetProperty("httpConnectionsRefused").GetInt64() > 0);
        var sessions = await http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within();
        var open = Assert.Single(sessions!, s => s.GetProperty("listenerId").GetString() == "tcp");
        await Timeouts.Eventually(async () =>
            (await http.GetFromJsonAsync<JsonElement>($"/api/sessions/{open.GetProperty("id").GetInt64()}").Within()).GetProperty("bytesIn").GetInt64() == 13 ? "" : null,
            "the session's bytes from before and during the flood");
        Assert.False(gateway.HasExited);
    }

    [Fact]
    public async Task ExplicitLimitsThatDoNotFit_StopStartUpWithOneClearLine()
    {
        using var gateway = GatewayProcess.StartWithFileLimit(1024, 1024, [.. FreePorts, "--Gateway:Limits:MaxSessions=10000"]);
        Assert.Equal(1, await gateway.WaitForExitAsync(StartTimeout));
        Assert.Contains(gateway.Lines, l => l.Contains("Gateway:Limits:MaxSessions (10000") && l.Contains("RLIMIT_NOFILE 1024"));
    }
}
