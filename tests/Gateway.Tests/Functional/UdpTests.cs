using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

public sealed class UdpTests
{
    [Fact]
    public async Task Datagram_BecomesSession_RestReplyReachesTheSender()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var gateway = new IPEndPoint(IPAddress.Loopback, app.UdpPort);

        await client.SendAsync(Encoding.UTF8.GetBytes("hello udp"), gateway).Within();
        var session = await app.SessionOfAsync(client.Client.LocalEndPoint!);
        var response = await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "reply" });
        var reply = await client.ReceiveAsync().Within();

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("reply", Encoding.UTF8.GetString(reply.Buffer));
        Assert.Equal(gateway, reply.RemoteEndPoint);
        Assert.Equal("udp", session.Protocol);
        Assert.Equal("udp", session.ListenerId);
        var messages = await Timeouts.Eventually(async () =>
        {
            var m = await app.MessagesAsync(session.Id);
            return m.Length == 2 ? m : null;
        }, "both datagrams recorded");
        Assert.Equal(["in", "out"], messages.Select(m => m.Direction));
        Assert.Equal("hello udp", Encoding.UTF8.GetString(messages[0].Data));
    }

    [Fact]
    public async Task DistinctRemoteEndpoints_AreDistinctSessions_SameEndpointIsOne()
    {
        await using var app = await GatewayApp.StartAsync();
        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var gateway = new IPEndPoint(IPAddress.Loopback, app.UdpPort);

        await a.SendAsync(new byte[] { 1 }, gateway).Within();
        await a.SendAsync(new byte[] { 2, 2 }, gateway).Within();
        await b.SendAsync(new byte[] { 3 }, gateway).Within();

        var sa = await Timeouts.Eventually(async () =>
        {
            var s = await app.SessionOfAsync(a.Client.LocalEndPoint!);
            return s.MessagesIn == 2 ? s : null;
        }, "both datagrams of a");
        var sb = await app.SessionOfAsync(b.Client.LocalEndPoint!);
        Assert.NotEqual(sa.Id, sb.Id);
        Assert.Equal(3, sa.BytesIn);
    }

    [Fact]
    public async Task QuietSession_ClosedAfterIdleTimeout()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Udp:IdleTimeoutSeconds"] = "0.5" });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync(new byte[] { 42 }, new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();

        var closed = await app.SessionOfAsync(client.Client.LocalEndPoint!, "closed");
        Assert.Equal("idle timeout", closed.CloseReason);

        // The next datagram from the same endpoint opens a new session.
        await client.SendAsync(new byte[] { 43 }, new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
        var again = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all"))
                .FirstOrDefault(s => s.Remote == client.Client.LocalEndPoint!.ToString() && s.Id != closed.Id), "a second session");
        Assert.True(again.Id > closed.Id);
    }
}
