using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Cluster;

/// <summary>A test that needs a real cluster (PostgreSQL, redis-server); skipped with the way to install them, except under CI, where it must run.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute() => Skip = GatewayCluster.SkipReason;
}

/// <summary>Three started nodes, shared by the tests that leave them running.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    internal GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (GatewayCluster.SkipReason is null)
        {
            Cluster = await GatewayCluster.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

/// <summary>Three gateway nodes on 127.0.0.11–13, one PostgreSQL, one Redis: one cluster, seen and driven from any node, over real sockets and HTTP.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private GatewayCluster Cluster => fixture.Cluster;

    [ClusterFact]
    public async Task EveryNode_ListsTheThreeNodes_Active_WithTheirAddresses()
    {
        foreach (var node in Cluster.Nodes)
        {
            var nodes = await node.Http.GetFromJsonAsync<JsonElement[]>("/api/nodes").Within();
            Assert.Equal(["n1", "n2", "n3"], nodes!.Select(n => n.GetProperty("id").GetString()));
            Assert.All(nodes!, n => Assert.Equal("active", n.GetProperty("state").GetString()));
            Assert.Equal(["127.0.0.11", "127.0.0.12", "127.0.0.13"], nodes!.Select(n => n.GetProperty("address").GetString()));
        }
    }

    [ClusterFact]
    public async Task Gatewayctl_OnOneNode_ListsTheNodes_AndEachSessionsAndSocketsNode()
    {
        var url = Cluster.Nodes[0].Http.BaseAddress!.ToString();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Parse(Cluster.Nodes[2].Address), Cluster.Nodes[2].TcpPort).Within();
        var remote = client.LocalEndPoint!.ToString()!;
        await Timeouts.Eventually(async () =>
            (await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within())!.Any(s => s.GetProperty("remote").GetString() == remote) ? (object)true : null,
            "n3's session listed on n1");

        var (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "nodes");
        Assert.True(code == 0, error);
        var rows = output.Trim().Split('\n');
        Assert.StartsWith("ID", rows[0]);
        Assert.Equal(["n1 127.0.0.11 active", "n2 127.0.0.12 active", "n3 127.0.0.13 active"],
            rows[1..].Select(r => string.Join(' ', r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3])));

        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "sessions");
        Assert.True(code == 0, error);
        Assert.EndsWith("NODE", output.Split('\n')[0].TrimEnd());
        Assert.Contains(output.Split('\n'), line => line.Contains(remote, StringComparison.Ordinal) && line.TrimEnd().EndsWith("n3", StringComparison.Ordinal));

        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "listeners");
        Assert.True(code == 0, error);
        Assert.Contains(output.Split('\n'), line => line.StartsWith("tcp ", StringComparison.Ordinal)
            && line.TrimEnd().EndsWith("n1:listening n2:listening n3:listening", StringComparison.Ordinal));
    }

    [ClusterFact]
    public async Task ASessionOnOneNode_IsListedEverywhere_AndInjectedIntoAndClosedFromTheOthers()
    {
        var owner = Cluster.Nodes[1];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Parse(owner.Address), owner.TcpPort).Within();
        await client.SendAsync("hello from a client of n2\n"u8.ToArray()).Within();
        var local = client.LocalEndPoint!.ToString();

        // Listed by every node, with its owner; one node answers for it by id.
        long id = 0;
        foreach (var node in Cluster.Nodes)
        {
            var session = (JsonElement)await Timeouts.Eventually<object>(async () =>
                (await node.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within())!.Where(s => s.GetProperty("remote").GetString() == local).Select(s => (object)s).FirstOrDefault(),
                $"the session listed by {node.Id}");
            Assert.Equal("n2", session.GetProperty("node").GetString());
            id = session.GetProperty("id").GetInt64();
        }

        var byId = await Cluster.Nodes[2].Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{id}").Within();
        Assert.Equal(("n2", "open"), (byId.GetProperty("node").GetString(), byId.GetProperty("state").GetString()));
        Assert.Equal(26, byId.GetProperty("bytesIn").GetInt64());

        // Injected from n1: the client gets the exact bytes.
        var sent = await Cluster.Nodes[0].Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "00 ff 0d 0a 41", encoding = "hex" }).Within();
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal(new byte[] { 0x00, 0xff, 0x0d, 0x0a, 0x41 }, await client.ReceiveExactlyAsync(5));

        // Its exports, made by its node, downloaded from another.
        await Timeouts.Eventually(async () =>
        {
            var json = await Cluster.Nodes[0].Http.GetStringAsync($"/api/sessions/{id}/capture.json").Within();
            return json.Contains(Convert.ToBase64String("hello from a client of n2\n"u8.ToArray()), StringComparison.Ordinal) ? (object)true : null;
        }, "capture.json with its message");
        var pcapng = await Cluster.Nodes[2].Http.GetByteArrayAsync($"/api/sessions/{id}/capture.pcapng").Within();
        Assert.Equal(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a }, pcapng[..4]);
        Assert.True(pcapng.AsSpan().IndexOf("hello from a client of n2"u8) > 0, "the payload is in the pcapng");

        // Marked on n1: kept by its node, seen from n3, found by tag from n1.
        (await Cluster.Nodes[0].Http.PutAsJsonAsync($"/api/sessions/{id}/annotations", new { starred = true, tags = new[] { "cross-node" }, note = "seen from n1" }).Within()).EnsureSuccessStatusCode();
        var marked = await Cluster.Nodes[2].Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{id}").Within();
        Assert.Equal("seen from n1", marked.GetProperty("annotations").GetProperty("note").GetString());
        Assert.Contains((await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?tag=cross-node").Within())!, s => s.GetProperty("id").GetInt64() == id);

        // A refusal on the owner reads the same from another node.
        await ApiAssert.ProblemAsync(await Cluster.Nodes[0].Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "zz", encoding = "hex" }).Within(), HttpStatusCode.BadRequest, "hex");

        // Closed from n3: the client sees the FIN; every node then shows it closed.
        Assert.Equal(HttpStatusCode.NoContent, (await Cluster.Nodes[2].Http.DeleteAsync($"/api/sessions/{id}").Within()).StatusCode);
        Assert.Empty(await client.ReceiveToEndAsync());
        var closed = await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{id}").Within();
        Assert.Equal("closed", closed.GetProperty("state").GetString());
        Assert.Contains("on node n3", closed.GetProperty("closeReason").GetString());
    }

    [ClusterFact]
    public async Task AHubClientOnOneNode_SeesAnotherNodesSessions_Live_AndReadsTheirMessages()
    {
        var (watcher, owner) = (Cluster.Nodes[0], Cluster.Nodes[2]);
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(watcher.Http.BaseAddress!, "hubs/traffic")).Build();
        var opened = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        var closed = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        var traffic = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        hub.On<JsonElement>("sessionOpened", s => opened.Writer.TryWrite(s));
        hub.On<JsonElement>("sessionClosed", s => closed.Writer.TryWrite(s));
        hub.On<JsonElement[]>("traffic", batch => { foreach (var m in batch) { traffic.Writer.TryWrite(m); } });
        await hub.StartAsync().Within();
        await hub.InvokeAsync("Watch", "*").Within();

        long id;
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(IPAddress.Parse(owner.Address), owner.TcpPort).Within();
            var remote = client.LocalEndPoint!.ToString();
            var session = await opened.NextAsync(s => s.GetProperty("remote").GetString() == remote, "sessionOpened from n3");
            Assert.Equal("n3", session.GetProperty("node").GetString());
            id = session.GetProperty("id").GetInt64();
            await client.SendAsync("reading=21.5\n"u8.ToArray()).Within();
            var message = await traffic.NextAsync(m => m.GetProperty("sessionId").GetInt64() == id, "its message");
            Assert.Equal("reading=21.5\n", Encoding.ASCII.GetString(message.GetProperty("data").GetBytesFromBase64()));
            Assert.Equal("n3", message.GetProperty("node").GetString());
        }

        Assert.Equal("closed", (await closed.NextAsync(s => s.GetProperty("id").GetInt64() == id, "sessionClosed from n3")).GetProperty("state").GetString());

        // Its captured messages, asked of the node the dashboard is on.
        var stored = await Timeouts.Eventually(async () =>
        {
            var messages = await watcher.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within();
            return messages!.Length == 1 ? messages : null;
        }, "the message from its owner's store");
        Assert.Equal("reading=21.5\n", Encoding.ASCII.GetString(stored[0].GetProperty("data").GetBytesFromBase64()));
        var found = await watcher.Http.GetFromJsonAsync<JsonElement[]>($"/api/messages?sessionId={id}&contains=reading").Within();
        Assert.Single(found!);
    }

    [ClusterFact]
    public async Task AListenerCreatedOnOneNode_IsBoundByAll_EachOnItsOwnAddress_AndDeletedFromAnother()
    {
        var port = ServerProcess.FreeTcpPort();
        var created = await Cluster.Nodes[1].Http.PostAsJsonAsync("/api/listeners", new { name = "everywhere", protocol = "tcp", port }).Within();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ApiAssert.ProblemAsync(await Cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners", new { name = "everywhere", protocol = "tcp", port }).Within(), HttpStatusCode.Conflict, "everywhere");

        // Every node binds it on its own address; each shows every node's socket.
        var listed = await Timeouts.Eventually(async () =>
        {
            var all = await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/listeners").Within();
            var it = all!.SingleOrDefault(l => l.GetProperty("id").GetString() == "everywhere");
            return it.ValueKind == JsonValueKind.Object && it.GetProperty("nodes").EnumerateArray().All(n => n.GetProperty("state").GetString() == "listening") ? (object)it : null;
        }, "bound by all three");
        Assert.Equal(
            ["n1 127.0.0.11", "n2 127.0.0.12", "n3 127.0.0.13"],
            ((JsonElement)listed).GetProperty("nodes").EnumerateArray().Select(n => $"{n.GetProperty("node").GetString()} {n.GetProperty("address").GetString()}"));

        // A connection to each node's socket is a session of that node.
        foreach (var node in Cluster.Nodes)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Parse(node.Address), port).Within();
            await client.SendAsync("ping\n"u8.ToArray()).Within();
            var remote = client.LocalEndPoint!.ToString();
            var session = (JsonElement)await Timeouts.Eventually<object>(async () =>
                (await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?listenerId=everywhere").Within())!
                    .Where(s => s.GetProperty("remote").GetString() == remote).Select(s => (object)s).FirstOrDefault(), $"the session on {node.Id}");
            Assert.Equal(node.Id, session.GetProperty("node").GetString());
        }

        // Deleted from a third node: gone from all.
        Assert.Equal(HttpStatusCode.NoContent, (await Cluster.Nodes[2].Http.DeleteAsync("/api/listeners/everywhere").Within()).StatusCode);
        foreach (var node in Cluster.Nodes)
        {
            Assert.DoesNotContain((await node.Http.GetFromJsonAsync<JsonElement[]>("/api/listeners").Within())!, l => l.GetProperty("id").GetString() == "everywhere");
            using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(IPAddress.Parse(node.Address), port).Within());
        }
    }

    [ClusterFact]
    public async Task AClusterListenersSettings_ChangedOnAnyNode_HoldOnEveryNode_BeforeTheAnswer()
    {
        using var echo = new EchoServer();
        var port = ServerProcess.FreeTcpPort();
        (await Cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners", new { name = "ruled", protocol = "tcp", port, upstream = $"127.0.0.1:{echo.Port}" }).Within()).EnsureSuccessStatusCode();
        try
        {
            // A rule added on n2: every node's socket answers by it as soon as the POST has answered.
            var added = await Cluster.Nodes[1].Http.PostAsJsonAsync("/api/listeners/ruled/rules",
                new { match = new { regex = "^PING(.*)\r\n" }, action = new { type = "reply", data = "PONG$1\r\n" } }).Within();
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var ruleId = (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var clients = new List<Socket>();
            try
            {
                foreach (var node in Cluster.Nodes)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    clients.Add(client);
                    await client.ConnectAsync(IPAddress.Parse(node.Address), port).Within();
                    await client.SendAsync(Encoding.ASCII.GetBytes($"PING {node.Id}\r\n")).Within();
                    Assert.Equal($"PONG {node.Id}\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(9)));
                    Assert.Equal(ruleId, (await node.Http.GetFromJsonAsync<JsonElement[]>("/api/listeners/ruled/rules").Within())!.Single().GetProperty("id").GetString());
                }

                // The whole list replaced on n3 (the old rule gone), a fault and a decoder chosen there, a layout set on n1: all seen on every node.
                (await Cluster.Nodes[2].Http.PutAsJsonAsync("/api/listeners/ruled/rules",
                    new[] { new { match = new { regex = "^PING(.*)\r\n" }, action = new { type = "reply", data = "PANG$1\r\n" } } }).Within()).EnsureSuccessStatusCode();
                (await Cluster.Nodes[2].Http.PostAsJsonAsync("/api/listeners/ruled/faults", new { type = "latency", ms = 1 }).Within()).EnsureSuccessStatusCode();
                (await Cluster.Nodes[2].Http.PutAsJsonAsync("/api/listeners/ruled/decoder", new { decoder = "resp" }).Within()).EnsureSuccessStatusCode();
                using var layout = new StringContent("meta:\n  id: ping\nseq:\n  - id: word\n    size: 4\n", Encoding.UTF8, "application/yaml");
                (await Cluster.Nodes[0].Http.PutAsync("/api/listeners/ruled/layout", layout).Within()).EnsureSuccessStatusCode();
                for (var i = 0; i < Cluster.Nodes.Count; i++)
                {
                    var node = Cluster.Nodes[i];
                    await clients[i].SendAsync(Encoding.ASCII.GetBytes($"PING {node.Id}\r\n")).Within();
                    Assert.Equal($"PANG {node.Id}\r\n", Encoding.ASCII.GetString(await clients[i].ReceiveExactlyAsync(9)));
                    Assert.Equal(1, (await node.Http.GetFromJsonAsync<JsonElement[]>("/api/listeners/ruled/faults").Within())!.Single().GetProperty("ms").GetInt32());
                    Assert.Equal("resp", (await node.Http.GetFromJsonAsync<JsonElement>("/api/listeners/ruled").Within()).GetProperty("decoder").GetString());
                    Assert.StartsWith("meta:", await node.Http.GetStringAsync("/api/listeners/ruled/layout").Within());
                }

                // A second fault, from another node's counter: its own id still.
                (await Cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners/ruled/faults", new { type = "latency", ms = 2 }).Within()).EnsureSuccessStatusCode();
                var faults = (await Cluster.Nodes[1].Http.GetFromJsonAsync<JsonElement[]>("/api/listeners/ruled/faults").Within())!;
                Assert.Equal(2, faults.Select(f => f.GetProperty("id").GetString()).Distinct().Count());

                // A bad rule on one node changes nothing anywhere.
                await ApiAssert.ProblemAsync(await Cluster.Nodes[1].Http.PostAsJsonAsync("/api/listeners/ruled/rules",
                    new { match = new { regex = "(" }, action = new { type = "reply", data = "x" } }).Within(), HttpStatusCode.BadRequest, "regex");
                foreach (var node in Cluster.Nodes)
                {
                    Assert.Single((await node.Http.GetFromJsonAsync<JsonElement[]>("/api/listeners/ruled/rules").Within())!);
                }
            }
            finally
            {
                clients.ForEach(c => c.Dispose());
            }
        }
        finally
        {
            await Cluster.Nodes[0].Http.DeleteAsync("/api/listeners/ruled").Within();
        }
    }

    [ClusterFact]
    public async Task EveryNodesMessages_AreFoundBySearchOnAnyNode_FromTheSharedHistory()
    {
        var marker = $"shared-{Guid.NewGuid():N}";
        var clients = new List<Socket>();
        try
        {
            foreach (var node in Cluster.Nodes)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(IPAddress.Parse(node.Address), node.TcpPort).Within();
                await client.SendAsync(Encoding.ASCII.GetBytes($"{marker} from {node.Id}\n")).Within();
            }

            foreach (var asked in Cluster.Nodes)
            {
                var found = await Timeouts.Eventually(async () =>
                {
                    var hits = await asked.Http.GetFromJsonAsync<JsonElement[]>($"/api/messages?contains={marker}").Within();
                    return hits!.Length == 3 ? hits : null;
                }, $"the three nodes' messages, searched on {asked.Id}");
                Assert.Equal(["from n1", "from n2", "from n3"], found.Select(m => Encoding.ASCII.GetString(m.GetProperty("data").GetBytesFromBase64()).Trim()[(marker.Length + 1)..]).Order());
                Assert.Equal(3, found.Select(m => m.GetProperty("seq").GetInt64()).Distinct().Count());
            }

            // One pcapng of listener tcp, downloaded from one node, holds every node's conversation.
            await Timeouts.Eventually(async () =>
            {
                var pcapng = await Cluster.Nodes[1].Http.GetByteArrayAsync("/api/captures.pcapng?listenerId=tcp").Within();
                return Cluster.Nodes.All(n => pcapng.AsSpan().IndexOf(Encoding.ASCII.GetBytes($"{marker} from {n.Id}")) > 0) ? (object)true : null;
            }, "the three conversations in one pcapng");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [ClusterFact]
    public async Task SessionIds_AreUniqueAcrossNodes_AndAPageMergesEveryNodesSessionsInOrder()
    {
        var clients = new List<Socket>();
        try
        {
            foreach (var node in Cluster.Nodes)
            {
                for (var i = 0; i < 3; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    clients.Add(client);
                    await client.ConnectAsync(IPAddress.Parse(node.Address), node.TcpPort).Within();
                    await client.SendAsync(new byte[10 * (clients.Count)]).Within();
                }
            }

            var remotes = clients.Select(c => c.LocalEndPoint!.ToString()).ToHashSet();
            var mine = await Timeouts.Eventually(async () =>
            {
                var all = await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?state=open&sort=-bytesIn&limit=1000").Within();
                var found = all!.Where(s => remotes.Contains(s.GetProperty("remote").GetString()!)).ToArray();
                return found.Length == 9 && found.All(s => s.GetProperty("bytesIn").GetInt64() > 0) ? found : null;
            }, "the nine sessions with their bytes");
            var ids = mine.Select(s => s.GetProperty("id").GetInt64()).ToArray();
            Assert.Equal(9, ids.Distinct().Count());
            var numbers = (await Cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/nodes").Within())!
                .ToDictionary(n => n.GetProperty("number").GetInt64(), n => n.GetProperty("id").GetString());
            Assert.All(mine, s => Assert.Equal(numbers[s.GetProperty("id").GetInt64() % 64], s.GetProperty("node").GetString()));
            Assert.Equal(mine.Select(s => s.GetProperty("bytesIn").GetInt64()).OrderDescending(), mine.Select(s => s.GetProperty("bytesIn").GetInt64()));

            // Paged two at a time across the nodes: no repeats, no gaps.
            var seen = new List<long>();
            string? cursor = null;
            for (var page = 0; page < 20; page++)
            {
                var response = await Cluster.Nodes[2].Http.GetAsync("/api/sessions?state=open&sort=-bytesIn&limit=2" + (cursor is null ? "" : "&cursor=" + cursor)).Within();
                response.EnsureSuccessStatusCode();
                seen.AddRange((await response.Content.ReadFromJsonAsync<JsonElement[]>())!.Select(s => s.GetProperty("id").GetInt64()));
                cursor = response.Headers.TryGetValues("X-Next-Cursor", out var next) ? next.Single() : null;
                if (cursor is null)
                {
                    break;
                }
            }

            Assert.Equal(ids, seen.Where(ids.Contains));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}

[CollectionDefinition(nameof(ClusterCollection), DisableParallelization = true)]
public sealed class ClusterCollection;
