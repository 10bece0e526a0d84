using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>POST /api/listeners/{id}/sendto: the socket API's sendto from a UDP listener's own socket.</summary>
public sealed class SendToTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task SendTo_DatagramComesFromTheListenersPort_ReplyLandsInTheSameSession()
    {
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var peerPort = ((IPEndPoint)peer.Client.LocalEndPoint!).Port;

        var response = await App.PostAsync("/api/listeners/udp/sendto", new { host = "127.0.0.1", port = peerPort, data = "ff00", encoding = "hex" });
        var datagram = await peer.ReceiveAsync().Within();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<WireSendToResult>(GatewayApp.Json).Within();
        Assert.Equal(2, result!.Bytes);
        Assert.Equal(new byte[] { 0xff, 0x00 }, datagram.Buffer);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, App.UdpPort), datagram.RemoteEndPoint);

        await peer.SendAsync(Encoding.ASCII.GetBytes("answer"), datagram.RemoteEndPoint).Within();
        var messages = await App.MessagesUntilAsync(result.SessionId, m => m.Length == 2, "the answer in the same session");
        Assert.Equal(["out", "in"], messages.Select(m => m.Direction));
        Assert.Equal($"127.0.0.1:{peerPort}", (await App.GetAsync<WireSession>($"/api/sessions/{result.SessionId}")).Remote);
    }

    [Theory]
    [InlineData("/api/listeners/tcp/sendto", "{\"host\":\"127.0.0.1\",\"port\":9,\"data\":\"x\"}", 400, "not a udp listener")]
    [InlineData("/api/listeners/udp/sendto", "{\"port\":9,\"data\":\"x\"}", 400, "host")]
    [InlineData("/api/listeners/udp/sendto", "{\"host\":\"127.0.0.1\",\"port\":0,\"data\":\"x\"}", 400, "port")]
    [InlineData("/api/listeners/udp/sendto", "{\"host\":\"::1\",\"port\":9,\"data\":\"x\"}", 400, "no address")]
    [InlineData("/api/listeners/udp/sendto", "{\"host\":\"127.0.0.1\",\"port\":9,\"data\":\"zz\",\"encoding\":\"hex\"}", 400, "hex")]
    [InlineData("/api/listeners/nope/sendto", "{\"host\":\"127.0.0.1\",\"port\":9,\"data\":\"x\"}", 404, "nope")]
    public async Task SendTo_BadInput_IsAProblem(string path, string body, int status, string expected)
    {
        var response = await App.PostJsonTextAsync(path, body);

        await ApiAssert.ProblemAsync(response, (HttpStatusCode)status, expected);
    }
}
