using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

public sealed class TcpSessionTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task Connect_ClientSends_SessionAndMessageRecorded()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("hello gateway\n");

        var session = await App.SessionOfAsync(client);
        Assert.Equal("tcp", session.ListenerId);
        Assert.Equal("tcp", session.Protocol);
        Assert.Equal("open", session.State);
        Assert.Equal($"127.0.0.1:{App.TcpPort}", session.Local);

        var messages = await Timeouts.Eventually(async () =>
        {
            var m = await App.MessagesAsync(session.Id);
            return m.Length > 0 ? m : null;
        }, "the message");
        var message = Assert.Single(messages);
        Assert.Equal("in", message.Direction);
        Assert.Equal(session.Id, message.SessionId);
        Assert.Equal("tcp", message.ListenerId);
        Assert.Equal(14, message.Size);
        Assert.Equal("hello gateway\n", Encoding.UTF8.GetString(message.Data));
        Assert.False(message.Truncated);

        var after = await App.GetAsync<WireSession>($"/api/sessions/{session.Id}");
        Assert.Equal(14, after.BytesIn);
        Assert.Equal(1, after.MessagesIn);
    }

    [Theory]
    [InlineData("utf8", "héllo\n", "héllo\n")]
    [InlineData("hex", "de ad:BE-ef 0a", "\xde\xad\xbe\xef\n")]
    [InlineData("hex", "0x414243", "ABC")]
    [InlineData("base64", "AAEC/w==", "\x00\x01\x02\xff")]
    public async Task RestSend_Encoding_ClientReceivesExactBytes(string encoding, string data, string expectedLatin1)
    {
        var expected = encoding == "utf8" ? Encoding.UTF8.GetBytes(expectedLatin1) : Encoding.Latin1.GetBytes(expectedLatin1);
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data, encoding });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<WireSendResult>(GatewayApp.Json).Within();
        Assert.Equal(expected.Length, result!.Bytes);
        Assert.Equal(expected, await client.ReceiveExactlyAsync(expected.Length));

        var outMessage = await Timeouts.Eventually(async () =>
            (await App.MessagesAsync(session.Id)).FirstOrDefault(m => m.Direction == "out"), "the out message");
        Assert.Equal(expected, outMessage.Data);
    }

    [Fact]
    public async Task RestSend_DefaultEncoding_IsUtf8()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "plain" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("plain", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(5)));
    }

    [Fact]
    public async Task Delete_OpenSession_ClientSeesEofAndSessionClosed()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.Http.DeleteAsync($"/api/sessions/{session.Id}").Within();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await client.ReceiveToEndAsync());
        var closed = await App.GetAsync<WireSession>($"/api/sessions/{session.Id}");
        Assert.Equal("closed", closed.State);
        Assert.NotNull(closed.ClosedAt);
        Assert.StartsWith("closed by api", closed.CloseReason);
    }

    [Fact]
    public async Task Delete_AfterSend_QueuedBytesArriveBeforeEof()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = new string('x', 100_000) });
        var response = await App.Http.DeleteAsync($"/api/sessions/{session.Id}").Within();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(100_000, (await client.ReceiveToEndAsync()).Length);
    }

    [Fact]
    public async Task Delete_Abort_ClientSeesReset()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.Http.DeleteAsync($"/api/sessions/{session.Id}?abort=true").Within();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var error = await Assert.ThrowsAsync<SocketException>(() => client.ReceiveToEndAsync());
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        var closed = await App.GetAsync<WireSession>($"/api/sessions/{session.Id}");
        Assert.StartsWith("aborted by api", closed.CloseReason);
    }

    [Fact]
    public async Task ClientHangUp_SessionClosedByPeer()
    {
        var client = await App.ConnectTcpAsync();
        var endpoint = client.LocalEndPoint!;
        await client.SendTextAsync("bye");
        client.Shutdown(SocketShutdown.Both);
        client.Dispose();

        var session = await App.SessionOfAsync(endpoint, "closed");

        Assert.Equal("closed by peer", session.CloseReason);
        Assert.Equal(3, session.BytesIn);
    }

    [Fact]
    public async Task Broadcast_ReachesEveryOpenClientOfTheListener()
    {
        var clients = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var client = await App.ConnectTcpAsync();
            clients.Add(client);
            await App.SessionOfAsync(client, "open");
        }

        try
        {
            var open = (await App.GetAsync<WireSession[]>("/api/sessions?listenerId=tcp")).Length;
            var response = await App.PostAsync("/api/listeners/tcp/broadcast", new { data = "6e6f7469636521", encoding = "hex" });

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var result = await response.Content.ReadFromJsonAsync<WireBroadcastResult>(GatewayApp.Json).Within();
            Assert.True(result!.Sessions >= 3 && result.Sessions <= open, $"broadcast reached {result.Sessions} sessions, {open} open");
            Assert.Equal(7, result.Bytes);
            foreach (var client in clients)
            {
                Assert.Equal("notice!", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(7)));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Listeners_ReportRealBoundPortsAndCounters()
    {
        var listeners = await App.GetListenersAsync();

        var tcp = Assert.Single(listeners, l => l.Id == "tcp");
        Assert.Equal("tcp", tcp.Name);
        Assert.Equal("127.0.0.1", tcp.Address);
        Assert.Equal("listening", tcp.State);
        Assert.NotEqual(0, tcp.Port);
        var udp = Assert.Single(listeners, l => l.Id == "udp");
        Assert.Equal("udp", udp.Protocol);
        Assert.NotEqual(0, udp.Port);

        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("12345");
        await App.SessionOfAsync(client);
        var after = await Timeouts.Eventually(async () =>
        {
            var l = (await App.GetListenersAsync()).Single(x => x.Id == "tcp");
            return l.BytesIn >= tcp.BytesIn + 5 && l.Sessions >= 1 ? l : null;
        }, "listener counters to move");
        Assert.True(after.BytesIn >= 5);
    }
}
