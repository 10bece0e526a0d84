using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>The gateway never runs out of file descriptors: limits fitted under RLIMIT_NOFILE, HTTP connections capped.</summary>
public sealed class FileDescriptorTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task LowFileLimit_SoftRaisedToHard_DefaultsLowered_AnIdleHttpFloodIsRefusedAndCounted_SessionsKeepWorking()
    {
        using var gateway = GatewayProcess.StartWithFileLimit(256, 1024, GatewayProcess.FreePorts);
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
    public async Task RelaysAddedAtRuntime_AdmittedOnlyWhileTheirDescriptorsFit_TheGatewayLivesOn()
    {
        using var upstream = new EchoServer();
        using var gateway = GatewayProcess.StartWithFileLimit(1024, 1024, GatewayProcess.FreePorts);
        var url = new Uri((await gateway.WaitForLineAsync(@"Now listening on: (http://127\.0\.0\.1:\d+)", StartTimeout)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = url };
        var created = await http.PostAsJsonAsync("/api/listeners", new { name = "relay", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" }).Within();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var port = (await created.Content.ReadFromJsonAsync<JsonElement>().Within()).GetProperty("port").GetInt32();

        // 600 relay sessions would take 1,200 descriptors: more than the process has.
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 600; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                try
                {
                    await client.ConnectAsync(IPAddress.Loopback, port).Within();
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // Refused: accepted and reset at once, sometimes before the connect completes here.
                }
            }

            var stats = await Timeouts.Eventually(async () =>
            {
                var s = await http.GetFromJsonAsync<JsonElement>("/api/stats").Within();
                return s.GetProperty("sessionsRefused").GetInt64() + s.GetProperty("sessionsOpen").GetInt32() >= 600 ? (object)s : null;
            }, "every connection admitted or refused");
            Assert.True(((JsonElement)stats).GetProperty("sessionsRefused").GetInt64() > 0);

            // An admitted one relays.
            var admitted = await Timeouts.Eventually(async () =>
            {
                foreach (var client in clients.Take(20))
                {
                    await client.SendTextAsync("ping");
                    var buffer = new byte[4];
                    if (await client.ReceiveAsync(buffer).Within() == 4)
                    {
                        return client;
                    }
                }

                return null;
            }, "an admitted relay session answering");
            Assert.NotNull(admitted);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/stats").Within()).StatusCode);
        Assert.False(gateway.HasExited);
        Assert.DoesNotContain(gateway.Lines, l => l.Contains("Too many open files", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(gateway.Lines, l => l.Contains("RLIMIT_NOFILE"));
    }

    [Fact]
    public async Task ExplicitLimitsThatDoNotFit_StopStartUpWithOneClearLine()
    {
        using var gateway = GatewayProcess.StartWithFileLimit(1024, 1024, [.. GatewayProcess.FreePorts, "--Gateway:Limits:MaxSessions=10000"]);
        Assert.Equal(1, await gateway.WaitForExitAsync(StartTimeout));
        Assert.Contains(gateway.Lines, l => l.Contains("Gateway:Limits:MaxSessions (10000") && l.Contains("RLIMIT_NOFILE 1024"));
    }
}
