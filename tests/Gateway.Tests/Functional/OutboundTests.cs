using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>POST /api/connections: the gateway as client, watched and driven like accepted sessions.</summary>
public sealed class OutboundTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task ConnectTcp_SessionIsOutbound_SendReceiveAndCloseWorkLikeAccepted()
    {
        using var server = new LoopbackServer();
        var port = server.Port;
        var accepting = server.AcceptAsync();

        var session = await App.ConnectOutAsync(new { protocol = "tcp", host = "localhost", port });
        using var peer = await accepting.Within();

        Assert.Equal("outbound", session.Kind);
        Assert.Null(session.ListenerId);
        Assert.Equal("open", session.State);
        Assert.Equal($"127.0.0.1:{port}", session.Remote);
        Assert.Equal(peer.RemoteEndPoint!.ToString(), session.Local);

        // Inject over REST and over the hub; the server receives both.
        Assert.Equal(HttpStatusCode.Accepted, (await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "rest " })).StatusCode);
        await using var hub = await App.ConnectHubAsync();
        Assert.Equal(3, await hub.InvokeAsync<int>("Send", session.Id, "687562", "hex").Within());
        Assert.Equal("rest hub", Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(8)));

        // What the server says is recorded as "in".
        await peer.SendTextAsync("from server");
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "in"), "the server's reply");
        Assert.Equal("from server", Encoding.ASCII.GetString(messages.Single(m => m.Direction == "in").Data));

        // Closing by API is a FIN the server sees.
        Assert.Equal(HttpStatusCode.NoContent, (await App.Http.DeleteAsync($"/api/sessions/{session.Id}").Within()).StatusCode);
        Assert.Empty(await peer.ReceiveToEndAsync());
    }

    [Fact]
    public async Task ServerClosesOutboundSession_SessionClosedByPeer()
    {
        using var server = new LoopbackServer();
        var accepting = server.AcceptAsync();
        var session = await App.ConnectOutAsync(new { host = "127.0.0.1", port = server.Port });

        (await accepting.Within()).Dispose();

        var closed = await Timeouts.Eventually(async () =>
        {
            var s = await App.GetAsync<WireSession>($"/api/sessions/{session.Id}");
            return s.State == "closed" ? s : null;
        }, "the outbound session to close");
        Assert.Equal("closed by peer", closed.CloseReason);
    }

    [Fact]
    public async Task ConnectRefused_Is502()
    {
        using var squatter = new PortSquatter();
        var port = squatter.Port;
        squatter.Dispose(); // now nothing listens there

        var response = await App.PostAsync("/api/connections", new { host = "127.0.0.1", port });

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadGateway, "refused");
    }

    [Fact]
    public async Task ConnectNoAnswer_Is504AfterTheTimeout()
    {
        // A listener whose accept queue is full drops further SYNs: the connect hangs, on loopback.
        using var server = new LoopbackServer(backlog: 0);
        var endpoint = server.EndPoint;
        var fillers = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _ = filler.ConnectAsync(endpoint);
            fillers.Add(filler);
        }

        try
        {
            await Task.Delay(200);
            var started = DateTime.UtcNow;
            var response = await App.PostAsync("/api/connections", new { host = "127.0.0.1", port = endpoint.Port, timeoutSeconds = 0.5 });

            await ApiAssert.ProblemAsync(response, HttpStatusCode.GatewayTimeout, "within 0.5 s");
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task TlsHandshakeNeverAnswered_Is504()
    {
        using var server = new LoopbackServer();
        var accepting = server.AcceptAsync(); // accepts, then says nothing

        var response = await App.PostAsync("/api/connections", new
        {
            host = "127.0.0.1", port = server.Port, tls = new { serverName = "localhost" }, timeoutSeconds = 0.5,
        });

        await ApiAssert.ProblemAsync(response, HttpStatusCode.GatewayTimeout, "TLS handshake");
        (await accepting.Within()).Dispose();
    }

    [Theory]
    [InlineData("{\"protocol\":\"tcp\",\"port\":80}", "host")]
    [InlineData("{\"protocol\":\"tcp\",\"host\":\"127.0.0.1\",\"port\":0}", "port")]
    [InlineData("{\"protocol\":\"unix\"}", "path")]
    [InlineData("{\"protocol\":\"can\",\"host\":\"x\",\"port\":1}", "not supported by this gateway")]
    [InlineData("{\"protocol\":\"udp\",\"host\":\"127.0.0.1\",\"port\":9,\"framing\":\"line\"}", "udp")]
    [InlineData("{\"host\":\"127.0.0.1\",\"port\":9,\"framing\":\"yaml\"}", "framing")]
    [InlineData("{\"host\":\"127.0.0.1\",\"port\":9,\"timeoutSeconds\":0}", "timeoutSeconds")]
    public async Task ConnectInvalid_Is400(string body, string expected)
    {
        var response = await App.PostJsonTextAsync("/api/connections", body);

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, expected);
    }

    [Fact]
    public async Task ConnectUdp_DatagramsBothWays()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)server.Client.LocalEndPoint!).Port;

        var session = await App.ConnectOutAsync(new { protocol = "udp", host = "127.0.0.1", port });
        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "dgram out" });
        var received = await server.ReceiveAsync().Within();
        await server.SendAsync(Encoding.ASCII.GetBytes("dgram back"), received.RemoteEndPoint).Within();

        Assert.Equal("dgram out", Encoding.ASCII.GetString(received.Buffer));
        Assert.Equal("udp", session.Protocol);
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 2, "both datagrams");
        Assert.Equal(["out", "in"], messages.Select(m => m.Direction));
        Assert.Equal("dgram back", Encoding.ASCII.GetString(messages[1].Data));
    }
}
