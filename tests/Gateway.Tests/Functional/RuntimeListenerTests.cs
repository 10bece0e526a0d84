using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>POST and DELETE /api/listeners: listeners opened and stopped while the gateway runs.</summary>
public sealed class RuntimeListenerTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task Create_PortZero_ReturnsRealPort_AcceptsClients_AnnouncedOnHub()
    {
        await using var hub = await App.ConnectHubAsync();
        var changes = Channel.CreateUnbounded<WireListener>();
        hub.On<WireListener>("listenerChanged", l => changes.Writer.TryWrite(l));

        var created = await App.CreateListenerAsync(new { name = "rt-tcp", protocol = "tcp", address = "127.0.0.1", port = 0 });

        Assert.Equal("rt-tcp", created.Id);
        Assert.Equal("listening", created.State);
        Assert.NotEqual(0, created.Port);
        Assert.Equal(created.Port, (await App.GetAsync<WireListener>("/api/listeners/rt-tcp")).Port);
        var announced = await changes.Reader.ReadAsync().AsTask().Within();
        Assert.Equal("rt-tcp", announced.Id);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, created.Port).Within();
        await client.SendTextAsync("hi runtime");
        var session = await App.SessionOfAsync(client);
        Assert.Equal("rt-tcp", session.ListenerId);
        Assert.Equal("accepted", session.Kind);
    }

    [Fact]
    public async Task Delete_ClosesSessionsWithReason_StopsAccepting_AnnouncedOnHub()
    {
        var listener = await App.CreateListenerAsync(new { name = "rt-del", protocol = "tcp", port = 0 });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        var session = await App.SessionOfAsync(client, "open");
        await using var hub = await App.ConnectHubAsync();
        var changes = Channel.CreateUnbounded<WireListener>();
        hub.On<WireListener>("listenerChanged", l => changes.Writer.TryWrite(l));

        var response = await App.Http.DeleteAsync("/api/listeners/rt-del").Within();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await client.ReceiveToEndAsync());
        var closed = await App.GetAsync<WireSession>($"/api/sessions/{session.Id}");
        Assert.Equal("listener stopped", closed.CloseReason);
        var announced = await changes.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(("rt-del", "stopped"), (announced.Id, announced.State));
        Assert.DoesNotContain(await App.GetListenersAsync(), l => l.Id == "rt-del");
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(IPAddress.Loopback, listener.Port).Within());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task DeleteConfiguredListener_Works_AndUnknownIs404()
    {
        await using var app = await GatewayApp.StartAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync("/api/listeners/udp").Within()).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.DeleteAsync("/api/listeners/udp").Within()).StatusCode);
        Assert.Equal(["tcp"], (await app.GetListenersAsync()).Select(l => l.Id));
    }

    [Fact]
    public async Task Create_AddressInUse_Is409()
    {
        using var squatter = new PortSquatter();

        var response = await App.PostAsync("/api/listeners", new { name = "rt-busy", protocol = "tcp", port = squatter.Port });

        await ApiAssert.ProblemAsync(response, HttpStatusCode.Conflict, "in use");
    }

    [Fact]
    public async Task Create_DuplicateName_Is409()
    {
        var response = await App.PostAsync("/api/listeners", new { name = "tcp", protocol = "tcp", port = 0 });

        await ApiAssert.ProblemAsync(response, HttpStatusCode.Conflict, "already exists");
    }

    [Theory]
    [InlineData("can", "AF_CAN")]
    [InlineData("rds", "AF_RDS")]
    [InlineData("raw", "SOCK_RAW")]
    [InlineData("sctp", "not supported by this gateway")]
    [InlineData("carrier-pigeon", "not supported by this gateway")]
    public async Task Create_FamilyThePlatformCannotOffer_Is400SayingWhy(string protocol, string why)
    {
        var response = await App.PostAsync("/api/listeners", new { name = "rt-x", protocol, port = 0 });

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "not supported by this gateway");
        Assert.Contains(why, problem.Detail);
    }

    [Theory]
    [InlineData("{\"name\":\"bad name!\",\"protocol\":\"tcp\"}", "name")]
    [InlineData("{\"name\":\"x1\",\"protocol\":\"tcp\",\"address\":\"300.1.1.1\"}", "address")]
    [InlineData("{\"name\":\"x2\",\"protocol\":\"tcp\",\"port\":70000}", "port")]
    [InlineData("{\"name\":\"x3\",\"protocol\":\"unix\"}", "path")]
    [InlineData("{\"name\":\"x4\",\"protocol\":\"udp\",\"framing\":\"line\"}", "framing")]
    [InlineData("{\"name\":\"x5\",\"protocol\":\"tcp\",\"framing\":\"xml\"}", "framing")]
    [InlineData("{\"name\":\"x6\",\"protocol\":\"tcp\",\"tls\":{}}", "tls")]
    [InlineData("{\"name\":\"x7\",\"protocol\":\"tcp\",\"tls\":{\"certificatePath\":\"/nonexistent.pfx\"}}", "does not exist")]
    [InlineData("{\"name\":\"x8\",\"protocol\":\"udp\",\"tls\":{\"selfSigned\":true}}", "DTLS")]
    public async Task Create_InvalidFields_Is400NamingTheField(string body, string field)
    {
        var response = await App.PostJsonTextAsync("/api/listeners", body);

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, field);
    }
}
