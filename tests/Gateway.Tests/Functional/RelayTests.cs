using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>Relay listeners (upstream: host:port) against real upstream servers.</summary>
public sealed class RelayTests(AppFixture fixture) : IClassFixture<AppFixture>, IDisposable
{
    private readonly EchoServer _echo = new();

    private GatewayApp App => fixture.App;

    public void Dispose() => _echo.Dispose();

    [Fact]
    public async Task CaptureOffRelay_ForwardsInPlace_CountsWholeSizes_HubGetsPreviews()
    {
        var relay = await App.CreateListenerAsync(new { name = "relay-light", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{_echo.Port}", capture = "off" });
        await using var hub = await App.ConnectHubAsync();
        var previews = System.Threading.Channels.Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch => { foreach (var m in batch) { previews.Writer.TryWrite(m); } });
        await hub.InvokeAsync("Watch", "listener:relay-light").Within();
        using var client = await ConnectAsync(relay);
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);

        await client.SendAllAsync(payload);
        var echoed = await client.ReceiveExactlyAsync(payload.Length);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echo differs");

        var session = await App.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await App.GetAsync<WireSession>($"/api/sessions/{session.Id}")) is { BytesIn: 300_000, BytesOut: 300_000 } s ? s : null, "whole sizes counted");
        var seen = new List<WireMessage>();
        while (seen.Where(m => m.Direction == "in").Sum(m => m.Size) < payload.Length)
        {
            seen.Add(await previews.Reader.ReadAsync().AsTask().Within());
        }

        // Each preview is the start of its message; a message bigger than the preview says it was cut.
        var offset = 0;
        foreach (var message in seen.Where(m => m.Direction == "in"))
        {
            Assert.Equal(Math.Min(message.Size, 4096), message.Data.Length);
            Assert.Equal(message.Size > 4096, message.Truncated);
            Assert.True(payload.AsSpan(offset, message.Data.Length).SequenceEqual(message.Data), "a preview is not the start of its message");
            offset += message.Size;
        }
    }

    [Fact]
    public async Task SixteenMiB_ThroughTheRelayAndBack_Unchanged_AndRecordedBothWays()
    {
        var relay = await RelayToEchoAsync("relay-16m");
        using var client = await ConnectAsync(relay);
        var payload = new byte[16 * 1024 * 1024];
        Random.Shared.NextBytes(payload);

        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 100_000)
            {
                await client.SendAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)), SocketFlags.None);
            }

            client.Shutdown(SocketShutdown.Send);
        });
        var echoed = await client.ReceiveToEndAsync(TimeSpan.FromSeconds(30));
        await sending.Within();

        Assert.Equal(payload.Length, echoed.Length);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echoed bytes differ from what was sent");
        var session = await App.SessionOfAsync(client, "closed");
        Assert.Equal(("relay", $"127.0.0.1:{_echo.Port}"), (session.Kind, session.Upstream));
        Assert.Equal(payload.Length, session.BytesIn);
        Assert.Equal(payload.Length, session.BytesOut);
        Assert.Equal("closed by client", session.CloseReason);
    }

    [Fact]
    public async Task TwoHundredConcurrentClients_EachGetsItsOwnUpstreamAndItsOwnBytes()
    {
        var relay = await RelayToEchoAsync("relay-200");
        var before = _echo.Connections;

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var client = await ConnectAsync(relay);
            var message = Encoding.ASCII.GetBytes($"client {i:D3} says hello through the relay");
            await client.SendAllAsync(message);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(message, await client.ReceiveToEndAsync(TimeSpan.FromSeconds(20)));
        })).Within(TimeSpan.FromSeconds(60));

        Assert.Equal(200, _echo.Connections - before);
    }

    [Fact]
    public async Task HalfClose_ClientFinReachesUpstream_WhichStillAnswers()
    {
        using var upstream = new LoopbackServer();
        var relay = await App.CreateListenerAsync(new { name = "relay-half", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        var accepting = upstream.AcceptAsync();
        using var client = await ConnectAsync(relay);
        using var server = await accepting.Within();

        await client.SendTextAsync("question");
        client.Shutdown(SocketShutdown.Send);
        var asked = await server.ReceiveToEndAsync(); // EOF: the FIN was passed on
        await server.SendTextAsync($"answer to {Encoding.ASCII.GetString(asked)}");
        server.Shutdown(SocketShutdown.Send);

        Assert.Equal("question", Encoding.ASCII.GetString(asked));
        Assert.Equal("answer to question", Encoding.ASCII.GetString(await client.ReceiveToEndAsync()));
        var session = await App.SessionOfAsync(client, "closed");
        Assert.Equal("closed by client", session.CloseReason);
    }

    [Fact]
    public async Task UpstreamDown_ClientIsClosedWithTheReason()
    {
        int port;
        using (var probe = new PortSquatter())
        {
            port = probe.Port;
        }

        var relay = await App.CreateListenerAsync(new { name = "relay-down", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{port}" });
        using var client = await ConnectAsync(relay);

        Assert.Empty(await client.ReceiveToEndAsync());
        var session = await App.SessionOfAsync(client, "closed");
        Assert.StartsWith("upstream unreachable:", session.CloseReason);
        Assert.Contains("refused", session.CloseReason);
    }

    [Fact]
    public async Task UpstreamDiesAbruptly_ClientSeesTheEnd_SessionClosesNamingTheUpstream()
    {
        using var upstream = new LoopbackServer();
        var relay = await App.CreateListenerAsync(new { name = "relay-rst", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        var accepting = upstream.AcceptAsync();
        var client = await ConnectAsync(relay);
        var endpoint = client.LocalEndPoint!;
        var server = await accepting.Within();

        server.LingerState = new LingerOption(true, 0);
        server.Dispose(); // RST

        // Linux may report the reset to the relay as a plain end of stream, so the client sees a reset or an EOF.
        try
        {
            Assert.Empty(await client.ReceiveToEndAsync());
        }
        catch (SocketException ex)
        {
            Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        }

        client.Dispose();
        var session = await App.SessionOfAsync(endpoint, "closed");
        Assert.Contains("upstream", session.CloseReason);
    }

    [Fact]
    public async Task Inject_IntoEitherSide_RecordedInItsDirection()
    {
        using var upstream = new LoopbackServer();
        var relay = await App.CreateListenerAsync(new { name = "relay-inject", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        var accepting = upstream.AcceptAsync();
        using var client = await ConnectAsync(relay);
        using var server = await accepting.Within();
        var session = await App.SessionOfAsync(client);

        var toClient = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "to client" });
        var toUpstream = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "to upstream", target = "upstream" });
        await using var hub = await App.ConnectHubAsync();
        Assert.Equal(3, await hub.InvokeAsync<int>("SendToTarget", session.Id, "hub", "utf8", "upstream").Within());
        Assert.Equal(2, await hub.InvokeAsync<int>("Send", session.Id, "+4", "utf8", "upstream").Within()); // Send's optional 4th

        Assert.Equal(HttpStatusCode.Accepted, toClient.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, toUpstream.StatusCode);
        Assert.Equal("to client", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(9)));
        Assert.Equal("to upstreamhub+4", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(16)));
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 4, "four injections");
        Assert.Equal(["out", "in", "in", "in"], messages.Select(m => m.Direction));

        // Relayed traffic is recorded the same way: in = client→upstream, out = upstream→client.
        await client.SendTextAsync("ping");
        Assert.Equal("ping", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(4)));
        await server.SendTextAsync("pong");
        Assert.Equal("pong", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(4)));
        messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 6, "relayed messages");
        Assert.Equal(("in", "ping"), (messages[4].Direction, Encoding.ASCII.GetString(messages[4].Data)));
        Assert.Equal(("out", "pong"), (messages[5].Direction, Encoding.ASCII.GetString(messages[5].Data)));
    }

    [Fact]
    public async Task RelayToTlsUpstream_AndToAUnixSocket()
    {
        // The TLS upstream is another gateway: a relay to one's own listener is refused as a loop.
        await using var other = await GatewayApp.StartAsync();
        var secure = await other.CreateListenerAsync(new { name = "relay-tls-target", protocol = "tcp", port = 0, tls = new { selfSigned = true } });
        var tlsRelay = await App.CreateListenerAsync(new
        {
            name = "relay-tls", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{secure.Port}",
            upstreamTls = new { serverName = "localhost", allowUntrusted = true },
        });
        var dir = Directory.CreateTempSubdirectory("gw-relay-").FullName;
        var path = Path.Combine(dir, "upstream.sock");
        try
        {
            using var unixServer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            unixServer.Bind(new UnixDomainSocketEndPoint(path));
            unixServer.Listen();
            var unixRelay = await App.CreateListenerAsync(new { name = "relay-unix", protocol = "tcp", port = 0, upstream = $"unix:{path}" });
            var accepting = unixServer.AcceptAsync();

            using var viaTls = await ConnectAsync(tlsRelay);
            await viaTls.SendTextAsync("plain in, tls out");
            using var viaUnix = await ConnectAsync(unixRelay);
            await viaUnix.SendTextAsync("tcp in, unix out");
            using var unixPeer = await accepting.Within();

            Assert.Equal("tcp in, unix out", Encoding.ASCII.GetString(await unixPeer.ReceiveExactlyAsync(16)));
            var decrypted = await Timeouts.Eventually(async () =>
                (await other.GetAsync<WireSession[]>("/api/sessions?listenerId=relay-tls-target")).FirstOrDefault(x => x.BytesIn == 17),
                "the TLS listener to receive through the relay");
            Assert.Equal("plain in, tls out", Encoding.ASCII.GetString((await other.MessagesAsync(decrypted.Id)).Single().Data));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task UpstreamTarget_OnANonRelaySession_Is400()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        await ApiAssert.ProblemAsync(await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "x", target = "upstream" }),
            HttpStatusCode.BadRequest, "not a relay");
        await ApiAssert.ProblemAsync(await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "x", target = "sideways" }),
            HttpStatusCode.BadRequest, "Unknown target");
    }

    [Theory]
    [InlineData("{\"name\":\"r1\",\"protocol\":\"tcp\",\"upstream\":\"nohost\"}", "host:port")]
    [InlineData("{\"name\":\"r2\",\"protocol\":\"tcp\",\"upstream\":\"::1:80\"}", "brackets")]
    [InlineData("{\"name\":\"r3\",\"protocol\":\"tcp\",\"upstream\":\"127.0.0.1:80\",\"framing\":{\"type\":\"length\",\"width\":3}}", "width")]
    [InlineData("{\"name\":\"r4\",\"protocol\":\"tcp\",\"upstreamTls\":{\"serverName\":\"x\"}}", "needs an upstream")]
    public async Task CreateRelay_Invalid_Is400(string body, string expected)
    {
        var response = await App.PostJsonTextAsync("/api/listeners", body);

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, expected);
    }

    private async Task<WireListener> RelayToEchoAsync(string name)
    {
        var relay = await App.CreateListenerAsync(new { name, protocol = "tcp", port = 0, upstream = $"127.0.0.1:{_echo.Port}" });
        Assert.Equal($"127.0.0.1:{_echo.Port}", relay.Upstream);
        return relay;
    }

    private static async Task<Socket> ConnectAsync(WireListener relay)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        return client;
    }
}
