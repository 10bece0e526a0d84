using System.Text;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>The SignalR hub at /hubs/traffic through the real .NET SignalR client over WebSockets.</summary>
public sealed class HubTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task WatchSession_ClientSends_TrafficEventCarriesTheBytes()
    {
        await using var hub = await App.ConnectHubAsync();
        var traffic = Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch =>
        {
            foreach (var m in batch)
            {
                traffic.Writer.TryWrite(m);
            }
        });
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);
        await hub.InvokeAsync("Watch", $"session:{session.Id}").Within();

        await client.SendTextAsync("ping");

        var message = await traffic.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(session.Id, message.SessionId);
        Assert.Equal("in", message.Direction);
        Assert.Equal("ping", Encoding.UTF8.GetString(message.Data));
        Assert.Equal(4, message.Size);
        Assert.False(message.Truncated);
        Assert.True(message.Seq > 0);
    }

    [Fact]
    public async Task Counters_CarryTheSessionsAClientWatches_AndOnlyThose()
    {
        await using var hub = await App.ConnectHubAsync();
        var counters = Channel.CreateUnbounded<System.Text.Json.JsonElement>();
        hub.On<System.Text.Json.JsonElement>("counters", c => counters.Writer.TryWrite(c));
        using var watched = await App.ConnectTcpAsync();
        using var other = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(watched);
        var otherSession = await App.SessionOfAsync(other);
        await hub.InvokeAsync("Watch", $"session:{session.Id}").Within();
        await watched.SendTextAsync("twelve bytes");
        await other.SendTextAsync("not watched");

        var seen = await Timeouts.Eventually(async () =>
        {
            var c = await counters.Reader.ReadAsync().AsTask().Within();
            var mine = c.GetProperty("sessions").EnumerateArray().Where(s => s.GetProperty("id").GetInt64() == session.Id).ToArray();
            return mine.Length == 1 && mine[0].GetProperty("bytesIn").GetInt64() == 12 ? (object)c : null;
        }, "a counters event with the watched session's 12 bytes");
        var ids = ((System.Text.Json.JsonElement)seen).GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal([session.Id], ids);
        Assert.DoesNotContain(otherSession.Id, ids);
        Assert.True(((System.Text.Json.JsonElement)seen).GetProperty("sessions")[0].GetProperty("messagesIn").GetInt64() >= 1);
    }

    [Fact]
    public async Task HubSend_ClientReceives_ReturnsByteCount()
    {
        await using var hub = await App.ConnectHubAsync();
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var bytes = await hub.InvokeAsync<int>("Send", session.Id, "01 02 03", "hex").Within();

        Assert.Equal(3, bytes);
        Assert.Equal(new byte[] { 1, 2, 3 }, await client.ReceiveExactlyAsync(3));
    }

    [Fact]
    public async Task HubClose_ClientSeesEof_AndSessionClosedIsAnnounced()
    {
        await using var hub = await App.ConnectHubAsync();
        var closed = Channel.CreateUnbounded<WireSession>();
        hub.On<WireSession>("sessionClosed", s => closed.Writer.TryWrite(s));
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        await hub.InvokeAsync("Close", session.Id).Within();

        Assert.Empty(await client.ReceiveToEndAsync());
        var announced = await ReadUntilAsync(closed, s => s.Id == session.Id);
        Assert.Equal("closed", announced.State);
        Assert.StartsWith("closed by hub client", announced.CloseReason);
    }

    [Fact]
    public async Task ClientConnectsAndHangsUp_LifecycleEventsReachEveryHubClient()
    {
        await using var hub = await App.ConnectHubAsync();
        var opened = Channel.CreateUnbounded<WireSession>();
        var closed = Channel.CreateUnbounded<WireSession>();
        hub.On<WireSession>("sessionOpened", s => opened.Writer.TryWrite(s));
        hub.On<WireSession>("sessionClosed", s => closed.Writer.TryWrite(s));

        var client = await App.ConnectTcpAsync();
        var remote = client.LocalEndPoint!.ToString();
        var open = await ReadUntilAsync(opened, s => s.Remote == remote);
        await client.SendTextAsync("abc");
        client.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        client.Dispose();

        var gone = await ReadUntilAsync(closed, s => s.Id == open.Id);
        Assert.Equal("open", open.State);
        Assert.Equal("tcp", open.ListenerId);
        Assert.Equal("closed by peer", gone.CloseReason);
        Assert.Equal(3, gone.BytesIn);
    }

    [Fact]
    public async Task WatchOneSession_OtherSessionsTrafficIsNotPushed()
    {
        await using var hub = await App.ConnectHubAsync();
        var traffic = Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch => Array.ForEach(batch, m => traffic.Writer.TryWrite(m)));
        using var watched = await App.ConnectTcpAsync();
        using var other = await App.ConnectTcpAsync();
        var watchedSession = await App.SessionOfAsync(watched);
        var otherSession = await App.SessionOfAsync(other);
        await hub.InvokeAsync("Watch", $"session:{watchedSession.Id}").Within();

        await other.SendTextAsync("not for you");
        await Timeouts.Eventually(async () =>
            (await App.MessagesAsync(otherSession.Id)).FirstOrDefault(), "the other session's message");
        await watched.SendTextAsync("for you");

        var first = await traffic.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(watchedSession.Id, first.SessionId);
        Assert.Equal("for you", Encoding.UTF8.GetString(first.Data));

        await hub.InvokeAsync("Unwatch", $"session:{watchedSession.Id}").Within();
        await watched.SendTextAsync("after unwatch");
        await Timeouts.Eventually(async () =>
            (await App.MessagesAsync(watchedSession.Id)).Length == 2 ? "" : null, "the unwatched message to be recorded");
        await Task.Delay(200);
        Assert.False(traffic.Reader.TryRead(out var leaked), $"unexpected traffic after Unwatch: {leaked}");
    }

    [Fact]
    public async Task WatchListener_ReceivesTrafficOfItsSessions()
    {
        await using var hub = await App.ConnectHubAsync();
        var traffic = Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch => Array.ForEach(batch, m => traffic.Writer.TryWrite(m)));
        await hub.InvokeAsync("Watch", "listener:tcp").Within();
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        await client.SendTextAsync("via listener scope");

        var message = await ReadUntilAsync(traffic, m => m.SessionId == session.Id);
        Assert.Equal("via listener scope", Encoding.UTF8.GetString(message.Data));
    }

    [Theory]
    [InlineData("Watch", "bogus", "Invalid scope 'bogus'")]
    [InlineData("Watch", "session:abc", "Invalid scope")]
    [InlineData("Watch", "listener:nope", "Listener 'nope' does not exist")]
    [InlineData("Watch", "session:987654", "Session 987654 does not exist")]
    [InlineData("Unwatch", "", "Invalid scope")]
    public async Task WatchInvalidScope_FailsWithHubErrorSayingWhy(string method, string scope, string expected)
    {
        await using var hub = await App.ConnectHubAsync();

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync(method, scope).Within());

        // SignalR prefixes "An unexpected error occurred invoking 'X' on the server. HubException: ".
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task HubSend_Refusals_AreHubErrorsThatSayWhy()
    {
        await using var hub = await App.ConnectHubAsync();
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var unknown = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", 987654L, "x", "utf8").Within());
        var badHex = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", session.Id, "xyz", "hex").Within());
        var badEncoding = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", session.Id, "x", "ebcdic").Within());

        Assert.Contains("987654", unknown.Message);
        Assert.Contains("hex", badHex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Unknown encoding", badEncoding.Message);
        var upstreamOnPlain = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", session.Id, "x", "utf8", "upstream").Within());
        Assert.Contains("not a relay", upstreamOnPlain.Message);
        var badTypes = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", "not-a-number", "x", "utf8").Within());
        Assert.Contains("Failed to invoke 'Send'", badTypes.Message);
    }

    [Fact]
    public async Task LargeMessage_HubPreviewIsTruncatedButRestKeepsItWhole()
    {
        await using var hub = await App.ConnectHubAsync();
        var traffic = Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch => Array.ForEach(batch, m => traffic.Writer.TryWrite(m)));
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);
        await hub.InvokeAsync("Watch", $"session:{session.Id}").Within();
        var payload = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();

        await hub.InvokeAsync<int>("Send", session.Id, Convert.ToBase64String(payload), "base64").Within();
        await client.ReceiveExactlyAsync(payload.Length);

        var preview = await traffic.Reader.ReadAsync().AsTask().Within();
        Assert.Equal("out", preview.Direction);
        Assert.True(preview.Truncated);
        Assert.Equal(10_000, preview.Size);
        Assert.Equal(payload[..4096], preview.Data);
        var stored = Assert.Single(await App.MessagesAsync(session.Id));
        Assert.False(stored.Truncated);
        Assert.Equal(payload, stored.Data);
    }

    private static async Task<T> ReadUntilAsync<T>(Channel<T> channel, Func<T, bool> match)
    {
        using var cts = new CancellationTokenSource(Timeouts.Default);
        while (true)
        {
            var item = await channel.Reader.ReadAsync(cts.Token);
            if (match(item))
            {
                return item;
            }
        }
    }
}
