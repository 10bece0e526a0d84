using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>GET /api/sessions filtered, sorted and paged on the server, live and stored sessions under one order.</summary>
public sealed class SessionQueryTests
{
    [Fact]
    public async Task FilterSortAndCursor_CoverLiveAndStoredSessions_WithoutRepeatsOrGaps()
    {
        await using var app = await GatewayApp.StartAsync();
        using var echo = new EchoServer();
        var relay = await app.CreateListenerAsync(new { name = "relay-q", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{echo.Port}" });

        // Six accepted sessions sending 1..6 bytes (three closed, stored; three still open), and a relay session.
        var open = new List<Socket>();
        for (var i = 1; i <= 6; i++)
        {
            var client = await app.ConnectTcpAsync();
            await client.SendAsync(new byte[i]).Within();
            var session = await app.SessionOfAsync(client);
            await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "its message");
            if (i <= 3)
            {
                client.Dispose();
                await Timeouts.Eventually(async () => (await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}")).GetProperty("state").GetString() == "closed" ? (object)true : null, "closed");
            }
            else
            {
                open.Add(client);
            }
        }

        using var relayed = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await relayed.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        await relayed.SendAsync(new byte[9]).Within();
        await Timeouts.Eventually(async () => (await app.GetAsync<JsonElement[]>("/api/sessions?kind=relay")).Length == 1 ? (object)true : null, "the relay session");

        // Listener tcp sorted by bytesIn, descending, two per page: 6, 5 | 4, 3 | 2, 1: open and stored (closed) ones interleaved, no repeats, no gaps.
        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await app.Http.GetAsync("/api/sessions?sort=-bytesIn&limit=2&listenerId=tcp" + (cursor is null ? "" : "&cursor=" + cursor)).Within();
            response.EnsureSuccessStatusCode();
            var page = await response.Content.ReadFromJsonAsync<JsonElement[]>(GatewayApp.Json);
            seen.AddRange(page!.Select(s => s.GetProperty("bytesIn").GetInt64()));
            cursor = response.Headers.TryGetValues("X-Next-Cursor", out var values) ? values.Single() : null;
            pages++;
        }
        while (cursor is not null && pages < 10);
        Assert.Equal([6, 5, 4, 3, 2, 1], seen);
        Assert.Equal(3, pages);

        // Filters: kind, state, and text over the addresses, listener and close reason.
        Assert.Equal([9L], (await app.GetAsync<JsonElement[]>("/api/sessions?kind=relay")).Select(s => s.GetProperty("bytesIn").GetInt64()));
        Assert.Equal(3, (await app.GetAsync<JsonElement[]>("/api/sessions?q=&state=closed&listenerId=tcp&sort=id")).Length);
        var relayOnly = await app.GetAsync<JsonElement[]>("/api/sessions?q=RELAY-Q");
        Assert.Equal("relay-q", Assert.Single(relayOnly).GetProperty("listenerId").GetString());
        var port = ((IPEndPoint)open[0].LocalEndPoint!).Port;
        Assert.Equal(port.ToString(), Assert.Single(await app.GetAsync<JsonElement[]>($"/api/sessions?q=127.0.0.1:{port}")).GetProperty("remote").GetString()!.Split(':')[^1]);

        // Without the new parameters the list is what it always was (open ones, id order).
        Assert.Equal(4, (await app.GetAsync<JsonElement[]>("/api/sessions")).Length);

        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions?sort=password").Within(), HttpStatusCode.BadRequest, "bytesIn");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions?kind=sideways").Within(), HttpStatusCode.BadRequest, "relay");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions?cursor=bm9wZQ").Within(), HttpStatusCode.BadRequest, "cursor");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions?sort=id&afterId=3").Within(), HttpStatusCode.BadRequest, "X-Next-Cursor");
        foreach (var socket in open)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task Text_MatchesTheSummariesOfASessionsMessages_LiveAndStored()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "redis-q", protocol = "tcp", port = 0, decoder = "resp" });
        using var stored = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await stored.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await stored.SendAsync("*2\r\n$3\r\nGET\r\n$13\r\nsensor:boiler\r\n"u8.ToArray()).Within();
        var storedId = (await app.SessionOfAsync(stored)).Id;
        using var live = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await live.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await live.SendAsync("*2\r\n$3\r\nDEL\r\n$13\r\nsensor:boiler\r\n"u8.ToArray()).Within();
        var liveId = (await app.SessionOfAsync(live)).Id;
        await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=sensor:boiler")).Length == 2 ? (object)true : null, "both summaries stored");
        stored.Dispose();
        await Timeouts.Eventually(async () => (await app.GetAsync<JsonElement>($"/api/sessions/{storedId}")).GetProperty("state").GetString() == "closed" ? (object)true : null, "closed");

        // Not in any address, listener name or tag: only in what the decoder read.
        Assert.Equal([liveId, storedId], (await app.GetAsync<JsonElement[]>("/api/sessions?q=SENSOR:BOILER&state=all")).Select(s => s.GetProperty("id").GetInt64()));
        Assert.Equal([liveId], (await app.GetAsync<JsonElement[]>("/api/sessions?q=del%20sensor&state=all")).Select(s => s.GetProperty("id").GetInt64()));
        Assert.Equal([storedId], (await app.GetAsync<JsonElement[]>("/api/sessions?q=get%20sensor&state=closed")).Select(s => s.GetProperty("id").GetInt64()));
        Assert.Empty(await app.GetAsync<JsonElement[]>("/api/sessions?q=sensor:kettle&state=all"));
    }
}
