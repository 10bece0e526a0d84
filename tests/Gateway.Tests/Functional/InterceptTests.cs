using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>Holding relayed messages: forward, edit, drop, in order; released when interception is turned off.</summary>
public sealed class InterceptTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task HeldMessage_HoldsThoseBehindIt_EditedForwardArrivesFirst()
    {
        await using var relay = await RelayAsync("icpt-edit", new { enabled = true, direction = "in", match = "secret" });
        await using var hub = await App.ConnectHubAsync();
        var heldEvents = Channel.CreateUnbounded<WireHeld>();
        hub.On<WireHeld>("held", h => heldEvents.Writer.TryWrite(h));

        await relay.Client.SendTextAsync("secret=1");
        var held = await heldEvents.Reader.ReadAsync().AsTask().Within();
        await relay.Client.SendTextAsync(";plain"); // does not match, but must wait behind the held one

        Assert.Equal(("in", "secret=1"), (held.Direction, Encoding.ASCII.GetString(held.Data)));
        var listed = Assert.Single(await App.GetAsync<WireHeld[]>("/api/held"), h => h.SessionId == held.SessionId);
        Assert.Equal(held.Id, listed.Id);
        await Task.Delay(200);
        relay.Server.Blocking = false;
        Assert.Equal(0, relay.Server.Available); // nothing reached the upstream yet

        var forwarded = await App.PostAsync($"/api/held/{held.Id}/forward", new { data = "secret=***" });
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);

        relay.Server.Blocking = true;
        Assert.Equal("secret=***;plain", Encoding.ASCII.GetString(await relay.Server.ReceiveExactlyAsync(16)));
        var messages = await App.MessagesUntilAsync(held.SessionId, m => m.Length == 2, "what was forwarded");
        Assert.Equal(["secret=***", ";plain"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));
    }

    [Fact]
    public async Task SeveralHeldAtOnce_ForwardingTheSecondFirst_StillDeliversInOrder()
    {
        await using var relay = await RelayAsync("icpt-order", new { enabled = true, direction = "in", match = "#" });

        await relay.Client.SendTextAsync("#1 ");
        await HeldCountAsync("icpt-order", 1);
        await relay.Client.SendTextAsync("#2 ");
        var held = await HeldCountAsync("icpt-order", 2);

        await App.PostAsync($"/api/held/{held[1].Id}/forward", new { });
        await Task.Delay(200);
        relay.Server.Blocking = false;
        Assert.Equal(0, relay.Server.Available); // #2 may not overtake #1
        relay.Server.Blocking = true;
        await App.PostAsync($"/api/held/{held[0].Id}/forward", new { });

        Assert.Equal("#1 #2 ", Encoding.ASCII.GetString(await relay.Server.ReceiveExactlyAsync(6)));
    }

    [Fact]
    public async Task MaxHeldPerSession_StopsReadingPastTheBound()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Intercept:MaxHeldPerSession"] = "1" });
        using var upstream = new LoopbackServer();
        var listener = await app.CreateListenerAsync(new { name = "icpt-bound", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        await app.Http.PutAsJsonAsync("/api/listeners/icpt-bound/intercept", new { enabled = true, match = "#" }, GatewayApp.Json).Within();
        var accepting = upstream.AcceptAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        using var server = await accepting.Within();

        // With room for one, the direction stops reading while #1 is held: #2 and #3 wait in the socket.
        for (var i = 1; i <= 3; i++)
        {
            await client.SendTextAsync($"#{i} ");
            await Task.Delay(150);
        }

        var first = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireHeld[]>("/api/held")).SingleOrDefault(), "the first held message");
        Assert.Equal("#1 ", Encoding.ASCII.GetString(first.Data));
        await Task.Delay(200);
        Assert.Single(await app.GetAsync<WireHeld[]>("/api/held")); // #2 and #3 were not read
        await app.PostAsync($"/api/held/{first.Id}/forward", new { });

        // Read once there is room, #2 and #3 may come in one read: forward whatever is held until both went.
        var rest = "";
        while (rest.Length < 6)
        {
            var next = await Timeouts.Eventually(async () => (await app.GetAsync<WireHeld[]>("/api/held")).SingleOrDefault(), "the rest");
            rest += Encoding.ASCII.GetString(next.Data);
            await app.PostAsync($"/api/held/{next.Id}/forward", new { });
        }

        Assert.Equal("#2 #3 ", rest);
        Assert.Equal("#1 #2 #3 ", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(9)));
    }

    [Fact]
    public async Task Drop_NeverReachesTheUpstream_TheNextMessageDoes()
    {
        await using var relay = await RelayAsync("icpt-drop", new { enabled = true, direction = "both", matchHex = "ff ff" });

        await relay.Client.SendAllAsync([0x01, 0xff, 0xff, 0x02]);
        var held = await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireHeld[]>("/api/held")).FirstOrDefault(h => h.ListenerId == "icpt-drop"), "the held message");
        var dropped = await App.PostAsync($"/api/held/{held.Id}/drop", new { });
        await relay.Client.SendTextAsync("after");

        Assert.Equal(HttpStatusCode.OK, dropped.StatusCode);
        Assert.Equal("after", Encoding.ASCII.GetString(await relay.Server.ReceiveExactlyAsync(5)));
        await ApiAssert.ProblemAsync(await App.PostAsync($"/api/held/{held.Id}/forward", new { }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OutDirection_HoldsUpstreamReplies_ForwardUnchanged()
    {
        await using var relay = await RelayAsync("icpt-out", new { enabled = true, direction = "out" });

        await relay.Client.SendTextAsync("request");
        Assert.Equal("request", Encoding.ASCII.GetString(await relay.Server.ReceiveExactlyAsync(7)));
        await relay.Server.SendTextAsync("response");
        var held = await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireHeld[]>("/api/held")).FirstOrDefault(h => h.ListenerId == "icpt-out"), "the held reply");
        Assert.Equal("out", held.Direction);
        await App.PostAsync($"/api/held/{held.Id}/forward", new { });

        Assert.Equal("response", Encoding.ASCII.GetString(await relay.Client.ReceiveExactlyAsync(8)));
    }

    [Fact]
    public async Task TurningInterceptionOff_ReleasesWhatIsHeld()
    {
        await using var relay = await RelayAsync("icpt-off", new { enabled = true });
        await relay.Client.SendTextAsync("held until off");
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireHeld[]>("/api/held")).FirstOrDefault(h => h.ListenerId == "icpt-off"), "the held message");

        var response = await App.Http.PutAsJsonAsync("/api/listeners/icpt-off/intercept", new { enabled = false }, GatewayApp.Json).Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("held until off", Encoding.ASCII.GetString(await relay.Server.ReceiveExactlyAsync(14)));
        Assert.DoesNotContain(await App.GetAsync<WireHeld[]>("/api/held"), h => h.ListenerId == "icpt-off");
        Assert.False((await App.GetAsync<WireIntercept>("/api/listeners/icpt-off/intercept")).Enabled);
    }

    [Theory]
    [InlineData("tcp", "{\"enabled\":true}", 400, "not a relay")]
    [InlineData("nope", "{\"enabled\":true}", 404, "nope")]
    public async Task Intercept_OnWhatCannotHold_IsAProblem(string listener, string body, int status, string expected)
    {
        var response = await App.Http.PutAsync($"/api/listeners/{listener}/intercept", new StringContent(body, Encoding.UTF8, "application/json")).Within();

        await ApiAssert.ProblemAsync(response, (HttpStatusCode)status, expected);
    }

    [Theory]
    [InlineData("{\"enabled\":true,\"direction\":\"sideways\"}", "direction")]
    [InlineData("{\"enabled\":true,\"matchHex\":\"zz\"}", "matchHex")]
    [InlineData("{\"enabled\":true,\"match\":\"a\",\"matchHex\":\"61\"}", "not both")]
    public async Task Intercept_BadRule_Is400(string body, string expected)
    {
        await using var relay = await RelayAsync($"icpt-bad-{Math.Abs(body.GetHashCode()) % 10000}", null);

        var response = await App.Http.PutAsync($"/api/listeners/{relay.Listener}/intercept", new StringContent(body, Encoding.UTF8, "application/json")).Within();

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, expected);
    }

    private Task<WireHeld[]> HeldCountAsync(string listener, int count) => Timeouts.Eventually(async () =>
    {
        var held = (await App.GetAsync<WireHeld[]>("/api/held")).Where(h => h.ListenerId == listener).OrderBy(h => h.Id).ToArray();
        return held.Length == count ? held : null;
    }, $"{count} held messages on {listener}");

    /// <summary>A relay listener to a loopback server, with one client connected through it and interception set.</summary>
    private async Task<Relay> RelayAsync(string name, object? intercept)
    {
        var upstream = new LoopbackServer();
        var listener = await App.CreateListenerAsync(new { name, protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        if (intercept is not null)
        {
            var set = await App.Http.PutAsJsonAsync($"/api/listeners/{name}/intercept", intercept, GatewayApp.Json).Within();
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }

        var accepting = upstream.AcceptAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        return new Relay(name, upstream, client, await accepting.Within());
    }

    private sealed record Relay(string Listener, LoopbackServer Upstream, Socket Client, Socket Server) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            Server.Dispose();
            Upstream.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
