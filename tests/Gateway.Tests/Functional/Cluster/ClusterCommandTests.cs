using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Cluster;

/// <summary>Commands given on one node for what another node holds: broadcast, decoder, replay, held messages; on the shared three nodes.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ClusterCommandTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private GatewayCluster Cluster => fixture.Cluster;

    [ClusterFact]
    public async Task BroadcastDecoderAndReplay_OnOneNode_ReachTheNodesThatOwnTheSessions()
    {
        using var onN2 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var onN3 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await onN2.ConnectAsync(IPAddress.Parse(Cluster.Nodes[1].Address), Cluster.Nodes[1].TcpPort).Within();
        await onN3.ConnectAsync(IPAddress.Parse(Cluster.Nodes[2].Address), Cluster.Nodes[2].TcpPort).Within();
        var remote2 = onN2.LocalEndPoint!.ToString();
        var remote3 = onN3.LocalEndPoint!.ToString();
        var id = (long)await Timeouts.Eventually<object>(async () =>
        {
            var all = await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within();
            var mine = all!.Where(s => s.GetProperty("remote").GetString() is var r && (r == remote2 || r == remote3)).ToArray();
            return mine.Length == 2 ? mine.Single(s => s.GetProperty("remote").GetString() == remote2).GetProperty("id").GetInt64() : null;
        }, "both sessions");

        // Broadcast to listener tcp from n1: the sessions of n2 and n3 both get it.
        var broadcast = await Cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners/tcp/broadcast", new { data = "all hands\n" }).Within();
        Assert.Equal(HttpStatusCode.Accepted, broadcast.StatusCode);
        Assert.True((await broadcast.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sessions").GetInt32() >= 2);
        Assert.Equal("all hands\n", Encoding.ASCII.GetString(await onN2.ReceiveExactlyAsync(10)));
        Assert.Equal("all hands\n", Encoding.ASCII.GetString(await onN3.ReceiveExactlyAsync(10)));

        // The decoder of n2's session, chosen on n1 and read on n3; its next message is summarised by n2.
        (await Cluster.Nodes[0].Http.PutAsJsonAsync($"/api/sessions/{id}/decoder", new { decoder = "resp" }).Within()).EnsureSuccessStatusCode();
        Assert.Equal("resp", (await Cluster.Nodes[2].Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{id}/decoder").Within()).GetProperty("decoder").GetString());
        await ApiAssert.ProblemAsync(await Cluster.Nodes[0].Http.PutAsJsonAsync($"/api/sessions/{id}/decoder", new { decoder = "telepathy" }).Within(), HttpStatusCode.BadRequest, "telepathy");
        await onN2.SendAsync("*2\r\n$3\r\nGET\r\n$5\r\nkey:7\r\n"u8.ToArray()).Within();
        await Timeouts.Eventually(async () =>
            (await Cluster.Nodes[2].Http.GetFromJsonAsync<JsonElement[]>($"/api/messages?sessionId={id}&summary=GET%20key:7").Within())!.Length == 1 ? (object)true : null,
            "the summary n2 made");

        // Replayed from n1: n2 replays it from its store, to an echo server, on a new session of its own.
        using var target = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var accepted = target.AcceptSocketAsync();
        var replay = await Cluster.Nodes[0].Http.PostAsJsonAsync($"/api/sessions/{id}/replay", new { host = "127.0.0.1", port = ((IPEndPoint)target.LocalEndpoint).Port, timing = "asap" }).Within();
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("n2", (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("node").GetString());
        using var peer = await accepted.Within();
        var command = "*2\r\n$3\r\nGET\r\n$5\r\nkey:7\r\n"u8.ToArray();
        Assert.Equal(command, await peer.ReceiveExactlyAsync(command.Length));
    }

    [ClusterFact]
    public async Task CrossNodeInjectAndClose_TheUpstreamGetsTheExactBytes_AndBothDashboardsSeeThemTaggedWithTheOwner()
    {
        var (asker, owner) = (Cluster.Nodes[0], Cluster.Nodes[1]);
        using var upstream = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        upstream.Start();
        var port = ServerProcess.FreeTcpPort();
        (await asker.Http.PostAsJsonAsync("/api/listeners", new { name = "inject", protocol = "tcp", port, upstream = $"127.0.0.1:{((IPEndPoint)upstream.LocalEndpoint).Port}" }).Within()).EnsureSuccessStatusCode();
        try
        {
            // A dashboard's hub on the node asked and one on the owner.
            var dashboards = new List<(HubConnection Hub, Channel<JsonElement> Opened, Channel<JsonElement> Traffic, Channel<JsonElement> Closed)>();
            foreach (var node in new[] { asker, owner })
            {
                var hub = new HubConnectionBuilder().WithUrl(new Uri(node.Http.BaseAddress!, "hubs/traffic")).Build();
                var (opened, traffic, closed) = (Channel.CreateUnbounded<JsonElement>(), Channel.CreateUnbounded<JsonElement>(), Channel.CreateUnbounded<JsonElement>());
                hub.On<JsonElement>("sessionOpened", s => opened.Writer.TryWrite(s));
                hub.On<JsonElement>("sessionClosed", s => closed.Writer.TryWrite(s));
                hub.On<JsonElement[]>("traffic", batch => Array.ForEach(batch, m => traffic.Writer.TryWrite(m)));
                await hub.StartAsync().Within();
                await hub.InvokeAsync("Watch", "*").Within();
                dashboards.Add((hub, opened, traffic, closed));
            }

            try
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(IPAddress.Parse(owner.Address), port).Within();
                using var server = await upstream.AcceptSocketAsync().Within();
                var remote = client.LocalEndPoint!.ToString();
                long id = 0;
                foreach (var dashboard in dashboards)
                {
                    var session = await dashboard.Opened.NextAsync(s => s.GetProperty("remote").GetString() == remote, "sessionOpened of the owner's session");
                    Assert.Equal("n2", session.GetProperty("node").GetString());
                    id = session.GetProperty("id").GetInt64();
                }

                // Injected toward the upstream from n1: the server reads the exact bytes; both dashboards see them, tagged n2.
                byte[] bytes = [0x00, 0x01, 0x0d, 0x0a, 0xff, 0x7f];
                var sent = await asker.Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "00 01 0d 0a ff 7f", encoding = "hex", target = "upstream" }).Within();
                Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
                Assert.Equal(bytes, await server.ReceiveExactlyAsync(bytes.Length));
                foreach (var dashboard in dashboards)
                {
                    var message = await dashboard.Traffic.NextAsync(m => m.GetProperty("sessionId").GetInt64() == id, "the injected message");
                    Assert.Equal(bytes, message.GetProperty("data").GetBytesFromBase64());
                    Assert.Equal("n2", message.GetProperty("node").GetString());
                }

                // Closed from n1: both legs end; both dashboards see it closed, tagged n2.
                Assert.Equal(HttpStatusCode.NoContent, (await asker.Http.DeleteAsync($"/api/sessions/{id}").Within()).StatusCode);
                Assert.Empty(await client.ReceiveToEndAsync());
                Assert.Empty(await server.ReceiveToEndAsync());
                foreach (var dashboard in dashboards)
                {
                    var closed = await dashboard.Closed.NextAsync(s => s.GetProperty("id").GetInt64() == id, "sessionClosed of the owner's session");
                    Assert.Equal(("closed", "n2"), (closed.GetProperty("state").GetString(), closed.GetProperty("node").GetString()));
                }
            }
            finally
            {
                foreach (var dashboard in dashboards)
                {
                    await dashboard.Hub.DisposeAsync();
                }
            }
        }
        finally
        {
            await asker.Http.DeleteAsync("/api/listeners/inject").Within();
        }
    }

    [ClusterFact]
    public async Task AbortThroughTheHubOfOneNode_ResetsAnotherNodesClient()
    {
        var owner = Cluster.Nodes[2];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Parse(owner.Address), owner.TcpPort).Within();
        var remote = client.LocalEndPoint!.ToString();
        var id = (long)await Timeouts.Eventually<object>(async () =>
            (await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within())!
                .Where(s => s.GetProperty("remote").GetString() == remote).Select(s => (object)s.GetProperty("id").GetInt64()).FirstOrDefault(), "the session on n3");

        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(Cluster.Nodes[0].Http.BaseAddress!, "hubs/traffic")).Build();
        await hub.StartAsync().Within();
        await hub.InvokeAsync("Abort", id).Within();

        // A reset, not a FIN: the client's next read fails.
        var reset = await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(new byte[16]).Within());
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        var closed = await Timeouts.Eventually(async () =>
            (await Cluster.Nodes[1].Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{id}").Within()) is var s && s.GetProperty("state").GetString() == "closed" ? (object)s : null, "closed on n2's view");
        Assert.Equal("n3", ((JsonElement)closed).GetProperty("node").GetString());

        // Again, for a session that is closed now: its owner's refusal comes back as a hub error, not a hang.
        await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => hub.InvokeAsync("Abort", id).Within());
    }

    [ClusterFact]
    public async Task AMessageHeldOnOneNode_IsAnnouncedListedAndForwardedFromAnother()
    {
        using var echo = new EchoServer();
        var port = ServerProcess.FreeTcpPort();
        (await Cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners", new { name = "held", protocol = "tcp", port, upstream = $"127.0.0.1:{echo.Port}" }).Within()).EnsureSuccessStatusCode();
        try
        {
            var (decider, holder) = (Cluster.Nodes[0], Cluster.Nodes[1]);
            (await holder.Http.PutAsJsonAsync("/api/listeners/held/intercept", new { enabled = true, direction = "in" }).Within()).EnsureSuccessStatusCode();
            await using var hub = new HubConnectionBuilder().WithUrl(new Uri(decider.Http.BaseAddress!, "hubs/traffic")).Build();
            var announced = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            var released = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.On<JsonElement>("held", h => announced.TrySetResult(h));
            hub.On<JsonElement>("heldReleased", r => released.TrySetResult(r));
            await hub.StartAsync().Within();

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Timeouts.Eventually(async () =>
            {
                try
                {
                    await client.ConnectAsync(IPAddress.Parse(holder.Address), port).Within();
                    return (object)true;
                }
                catch (SocketException)
                {
                    return null;
                }
            }, "the listener on n2");
            await client.SendAsync("hold me"u8.ToArray()).Within();

            // Held on n2: announced on n1's hub, listed by n1, read whole, then forwarded (edited) from n1.
            var held = await announced.Task.Within();
            var id = held.GetProperty("id").GetInt64();
            Assert.Contains((await decider.Http.GetFromJsonAsync<JsonElement[]>("/api/held").Within())!, h => h.GetProperty("id").GetInt64() == id);
            Assert.Equal("hold me", Encoding.ASCII.GetString((await decider.Http.GetFromJsonAsync<JsonElement>($"/api/held/{id}").Within()).GetProperty("data").GetBytesFromBase64()));
            var forwarded = await decider.Http.PostAsJsonAsync($"/api/held/{id}/forward", new { data = "edited on n1" }).Within();
            Assert.True(forwarded.IsSuccessStatusCode, await forwarded.Content.ReadAsStringAsync());
            Assert.Equal("edited on n1", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(12))); // echoed by the upstream
            Assert.Equal("edited", (await released.Task.Within()).GetProperty("action").GetString()); // forwarded with a replacement
            await ApiAssert.ProblemAsync(await decider.Http.PostAsync($"/api/held/{id}/drop", null).Within(), HttpStatusCode.NotFound, id.ToString());
        }
        finally
        {
            await Cluster.Nodes[0].Http.DeleteAsync("/api/listeners/held").Within();
        }
    }
}
