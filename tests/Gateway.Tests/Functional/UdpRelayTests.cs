using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>UDP relay listeners: one upstream socket per client endpoint.</summary>
public sealed class UdpRelayTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task TwoClients_EachHasItsOwnUpstreamSocket_RepliesGoBackToTheRightOne()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var upstreamPort = ((IPEndPoint)upstream.Client.LocalEndPoint!).Port;
        var relay = await App.CreateListenerAsync(new { name = "udp-relay", protocol = "udp", port = 0, upstream = $"127.0.0.1:{upstreamPort}" });
        var relayEndpoint = new IPEndPoint(IPAddress.Loopback, relay.Port);
        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await a.SendAsync(Encoding.ASCII.GetBytes("from a"), relayEndpoint).Within();
        var first = await upstream.ReceiveAsync().Within();
        await b.SendAsync(Encoding.ASCII.GetBytes("from b"), relayEndpoint).Within();
        var second = await upstream.ReceiveAsync().Within();
        await upstream.SendAsync(Encoding.ASCII.GetBytes("to a"), first.RemoteEndPoint).Within();
        await upstream.SendAsync(Encoding.ASCII.GetBytes("to b"), second.RemoteEndPoint).Within();

        Assert.Equal("from a", Encoding.ASCII.GetString(first.Buffer));
        Assert.Equal("from b", Encoding.ASCII.GetString(second.Buffer));
        Assert.NotEqual(first.RemoteEndPoint, second.RemoteEndPoint);
        var toA = await a.ReceiveAsync().Within();
        Assert.Equal(("to a", relayEndpoint), (Encoding.ASCII.GetString(toA.Buffer), toA.RemoteEndPoint));
        Assert.Equal("to b", Encoding.ASCII.GetString((await b.ReceiveAsync().Within()).Buffer));

        var session = await App.SessionOfAsync(a.Client.LocalEndPoint!);
        Assert.Equal(("relay", "udp"), (session.Kind, session.Protocol));
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 2, "both datagrams");
        Assert.Equal(["in", "out"], messages.Select(m => m.Direction));
    }

    [Fact]
    public async Task Inject_IntoEitherSide()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await App.CreateListenerAsync(new
        {
            name = "udp-relay-inject", protocol = "udp", port = 0, upstream = $"127.0.0.1:{((IPEndPoint)upstream.Client.LocalEndPoint!).Port}",
        });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendAsync(Encoding.ASCII.GetBytes("hello"), new IPEndPoint(IPAddress.Loopback, relay.Port)).Within();
        await upstream.ReceiveAsync().Within();
        var session = await App.SessionOfAsync(client.Client.LocalEndPoint!);

        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "injected up", target = "upstream" });
        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "injected down" });

        Assert.Equal("injected up", Encoding.ASCII.GetString((await upstream.ReceiveAsync().Within()).Buffer));
        Assert.Equal("injected down", Encoding.ASCII.GetString((await client.ReceiveAsync().Within()).Buffer));
    }

    [Fact]
    public async Task Intercept_HoldsADatagramAndThoseBehindIt_EditedForwardGoesFirst()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await App.CreateListenerAsync(new
        {
            name = "udp-relay-hold", protocol = "udp", port = 0, upstream = $"127.0.0.1:{((IPEndPoint)upstream.Client.LocalEndPoint!).Port}",
        });
        var set = await App.Http.PutAsJsonAsync("/api/listeners/udp-relay-hold/intercept", new { enabled = true, direction = "in", match = "secret" }, GatewayApp.Json).Within();
        Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, relay.Port);

        await client.SendAsync(Encoding.ASCII.GetBytes("secret one"), target).Within();
        var held = await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireHeld[]>("/api/held")).FirstOrDefault(h => h.ListenerId == "udp-relay-hold"), "the held datagram");
        await client.SendAsync(Encoding.ASCII.GetBytes("plain two"), target).Within();
        await App.PostAsync($"/api/held/{held.Id}/forward", new { data = "edited one" });

        Assert.Equal("edited one", Encoding.ASCII.GetString((await upstream.ReceiveAsync().Within()).Buffer));
        Assert.Equal("plain two", Encoding.ASCII.GetString((await upstream.ReceiveAsync().Within()).Buffer));
        var messages = await App.MessagesUntilAsync(held.SessionId, m => m.Length == 2, "what was forwarded");
        Assert.Equal(["edited one", "plain two"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));
    }
}
