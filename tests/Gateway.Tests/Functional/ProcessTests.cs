using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>The gateway as a real process: start-up failures, exit codes, SIGTERM.</summary>
public sealed class ProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ListenerPortInUse_ExitsWithCode1AndOneLineNamingTheAddress()
    {
        using var squatter = new PortSquatter();
        var port = squatter.Port;

        using var gateway = GatewayProcess.Start([.. GatewayProcess.FreePorts, $"--Gateway:Listeners:0:Port={port}"]);
        var exitCode = await gateway.WaitForExitAsync(StartTimeout);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(gateway.Lines, l => l.Trim().Length > 0);
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Contains("Address already in use", line);
    }

    [Theory]
    [InlineData("--Gateway:Listeners:0:Protocol=sctp", "Gateway:Listeners:0:Protocol")]
    [InlineData("--Gateway:Listeners:1:Address=not-an-ip", "Gateway:Listeners:1:Address")]
    [InlineData("--Gateway:Listeners:1:Name=tcp", "used by another listener")]
    public async Task InvalidConfiguration_ExitsWithCode1NamingTheKey(string setting, string expected)
    {
        using var gateway = GatewayProcess.Start([.. GatewayProcess.FreePorts, setting]);
        var exitCode = await gateway.WaitForExitAsync(StartTimeout);

        Assert.Equal(1, exitCode);
        Assert.Contains(gateway.Lines, l => l.Contains(expected));
    }

    [Fact]
    public async Task SigTerm_ClosesClientsAndExitsWithCode0()
    {
        using var gateway = GatewayProcess.Start(GatewayProcess.FreePorts);
        var listening = await gateway.WaitForLineAsync(@"Listener tcp listening on tcp 127\.0\.0\.1:(\d+)", StartTimeout);
        await gateway.WaitForLineAsync("Application started", StartTimeout);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, int.Parse(listening.Groups[1].Value)).Within();
        await client.SendTextAsync("still here");
        await gateway.WaitForLineAsync("Session 1 opened");

        gateway.Terminate();

        Assert.Empty(await client.ReceiveToEndAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(gateway.Lines, l => l.Contains("closed: gateway shutting down"));
    }

    [Fact]
    public async Task SigTerm_FlushesTheCaptureStore_PeerThatDoesNotReadIsResetAfterTheTimeout()
    {
        using var folder = new TempFolder();
        // A flush interval far beyond the test: only the shutdown can have written these messages.
        using (var gateway = GatewayProcess.Start(folder, [.. GatewayProcess.FreePorts, "--Gateway:Capture:FlushIntervalMs=600000", "--Gateway:ShutdownTimeoutSeconds=2"]))
        {
            var listening = await gateway.WaitForLineAsync(@"Listener tcp listening on tcp 127\.0\.0\.1:(\d+)", StartTimeout);
            var http = await gateway.WaitForLineAsync(@"Now listening on: (http://127\.0\.0\.1:\d+)", StartTimeout);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await client.ConnectAsync(IPAddress.Loopback, int.Parse(listening.Groups[1].Value)).Within();
            await client.SendTextAsync("said before the stop");
            await gateway.WaitForLineAsync("Session 1 opened");

            // Queue more than the socket buffers hold for a client that never reads: it cannot be flushed.
            using var api = new HttpClient { BaseAddress = new Uri(http.Groups[1].Value) };
            for (var i = 0; i < 4; i++)
            {
                var sent = await api.PostAsync("/api/sessions/1/send", new StringContent(
                    $"{{\"data\":\"{new string('z', 1_000_000)}\"}}", System.Text.Encoding.UTF8, "application/json")).Within();
                Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            gateway.Terminate();
            Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 15); // waited for the timeout, then reset
        }

        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) });
        var session = await app.GetAsync<WireSession>("/api/sessions/1");
        Assert.Equal("gateway shutting down", session.CloseReason);
        Assert.Equal("said before the stop"u8.ToArray(), await app.CapturedBytesAsync(1, "in"));
    }
}
