using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Cluster;

/// <summary>What a cluster does when a node dies, and what start-up says when a server it needs does not answer.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ClusterFailureTests
{
    [ClusterFact]
    public async Task KillNine_CommandsForItsSessionsFailWithin5s_ItIsLostWithin20s_AndTheOthersKeepFlowing()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        var (n1, n2, n3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        using var doomed = await ConnectAsync(n3);
        using var survivor = await ConnectAsync(n1);
        var doomedId = await SessionIdAsync(n2, doomed);
        var survivorId = await SessionIdAsync(n2, survivor);
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(n1.Http.BaseAddress!, "hubs/traffic")).Build();
        var closed = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<JsonElement>("sessionClosed", s =>
        {
            if (s.GetProperty("id").GetInt64() == doomedId)
            {
                closed.TrySetResult(s);
            }
        });
        await hub.StartAsync().Within();

        // A cluster listener on one port of every node, HAProxy in front of the three.
        var port = ServerProcess.FreeTcpPort();
        (await n1.Http.PostAsJsonAsync("/api/listeners", new { name = "balanced", protocol = "tcp", port }).Within()).EnsureSuccessStatusCode();
        using var folder = new TempFolder();
        await using var haproxy = await ServerProcess.HaproxyAsync(folder, cluster.Nodes.Select(n => $"{n.Address}:{port}").ToArray());
        Assert.Contains("n3", await NodesBehindAsync(n1, haproxy.Port, 6)); // round robin reaches n3 while it lives

        // A session of n3's that ended before the kill, shipped closed.
        long endedId;
        using (var brief = await ConnectAsync(n3))
        {
            endedId = await SessionIdAsync(n1, brief);
        }

        await Timeouts.Eventually(async () => await SharedStateAsync(cluster, endedId) == "closed" ? (object)true : null, "the ended session shipped closed", TimeSpan.FromSeconds(20));

        // What the doomed session said is in the shared history before the kill (found by a search on n1, which holds none of n3's).
        var marker = $"last words {Guid.NewGuid():N}";
        await doomed.SendAsync(System.Text.Encoding.ASCII.GetBytes(marker)).Within();
        await Timeouts.Eventually(async () =>
            (await n1.Http.GetFromJsonAsync<JsonElement[]>($"/api/messages?contains={Uri.EscapeDataString(marker)}").Within())!.Length == 1 ? (object)true : null,
            "the marker shipped", TimeSpan.FromSeconds(20));

        // Marks put on n3's history from n1 after it shipped (the message, and the session that ended): shipped too.
        var lastWords = (await n1.Http.GetFromJsonAsync<JsonElement[]>($"/api/messages?contains={Uri.EscapeDataString(marker)}").Within())!.Single().GetProperty("seq").GetInt64();
        (await n1.Http.PutAsJsonAsync($"/api/sessions/{doomedId}/messages/{lastWords}/annotations", new { tags = new[] { "evidence" }, note = "said before the kill" }).Within()).EnsureSuccessStatusCode();
        (await n1.Http.PutAsJsonAsync($"/api/sessions/{endedId}/annotations", new { starred = true, tags = new[] { "brief" } }).Within()).EnsureSuccessStatusCode();
        await Timeouts.Eventually(async () => await SharedNoteAsync(cluster, lastWords) == "said before the kill" ? (object)true : null, "the message's marks shipped", TimeSpan.FromSeconds(20));

        n3.Process.KillHard();
        var sinceKill = Stopwatch.StartNew();

        // Never a hang: a command for the dead node's session is a 503 naming it, within 5 s (the first ones wait out the call timeout).
        var clock = Stopwatch.StartNew();
        var refused = await n1.Http.PostAsJsonAsync($"/api/sessions/{doomedId}/send", new { data = "anyone?" }).Within();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5.5), $"the 503 took {clock.Elapsed}");
        await ApiAssert.ProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "Node 'n3'");

        // The others declare it lost.
        clock.Restart();
        await Timeouts.Eventually(async () =>
            (await n1.Http.GetFromJsonAsync<JsonElement[]>("/api/nodes").Within())!.Single(n => n.GetProperty("id").GetString() == "n3").GetProperty("state").GetString() == "lost" ? (object)true : null,
            "n3 lost", TimeSpan.FromSeconds(20));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        await ApiAssert.ProblemAsync(await n2.Http.DeleteAsync($"/api/sessions/{doomedId}").Within(), HttpStatusCode.ServiceUnavailable, "n3");

        // Its session: closed, "node lost", for the dashboards and in the lists of the nodes left.
        var announced = await closed.Task.Within(TimeSpan.FromSeconds(20));
        Assert.Equal(("closed", "node lost", "n3"), (announced.GetProperty("state").GetString(), announced.GetProperty("closeReason").GetString(), announced.GetProperty("node").GetString()));
        var asked = await n1.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{doomedId}").Within();
        Assert.Equal("node lost", asked.GetProperty("closeReason").GetString());
        var listed = await n2.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?state=closed&sort=-id").Within();
        Assert.Contains(listed!, s => s.GetProperty("id").GetInt64() == doomedId && s.GetProperty("closeReason").GetString() == "node lost");
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(20), $"its sessions were shown lost {sinceKill.Elapsed} after the kill");

        // The session that had ended: still listed and found, as it ended, from the shared history.
        var endedInfo = await n1.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{endedId}").Within();
        Assert.Equal("closed", endedInfo.GetProperty("state").GetString());
        Assert.NotEqual("node lost", endedInfo.GetProperty("closeReason").GetString());
        Assert.Contains((await n2.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?state=closed&sort=-id").Within())!, s => s.GetProperty("id").GetInt64() == endedId);
        Assert.Equal("brief", endedInfo.GetProperty("annotations").GetProperty("tags").EnumerateArray().Single().GetString());
        Assert.True(endedInfo.GetProperty("annotations").GetProperty("starred").GetBoolean());

        // Its messages and its capture.json, from the shared history now that its node is gone.
        var messages = await n1.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{doomedId}/messages").Within();
        Assert.Contains(messages!, m => m.GetProperty("data").GetString() == Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(marker)));
        var capture = await n2.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{doomedId}/capture.json").Within();
        Assert.Equal("node lost", capture.GetProperty("session").GetProperty("closeReason").GetString());
        Assert.Contains(capture.GetProperty("messages").EnumerateArray(), m => m.GetProperty("data").GetString() == Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(marker)));
        var marked = Assert.Single(messages!, m => m.GetProperty("seq").GetInt64() == lastWords);
        Assert.Equal("said before the kill", marked.GetProperty("annotations").GetProperty("note").GetString());
        Assert.Equal(lastWords, (await n2.Http.GetFromJsonAsync<JsonElement[]>("/api/messages?tag=evidence").Within())!.Single().GetProperty("seq").GetInt64());
        var pcapng = await n1.Http.GetByteArrayAsync($"/api/sessions/{doomedId}/capture.pcapng").Within();
        Assert.True(pcapng.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(marker)) > 0, "the pcapng of the lost session carries its last words");

        // New connections through the load balancer land on the live nodes.
        Assert.DoesNotContain("n3", await NodesBehindAsync(n1, haproxy.Port, 6));

        // n1's own session flows on, driven from n2, and its client's bytes are counted.
        Assert.Equal(HttpStatusCode.Accepted, (await n2.Http.PostAsJsonAsync($"/api/sessions/{survivorId}/send", new { data = "still here\n" }).Within()).StatusCode);
        Assert.Equal("still here\n", System.Text.Encoding.ASCII.GetString(await survivor.ReceiveExactlyAsync(11)));
        await survivor.SendAsync(new byte[7]).Within();
        await Timeouts.Eventually(async () =>
            (await n2.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{survivorId}").Within()).GetProperty("bytesIn").GetInt64() == 9 ? (object)true : null, "the survivor's bytes");
    }

    [ClusterFact]
    public async Task ANodeKilledBeforeItShipped_ShipsItsSpoolWhenItComesBack_ExactlyOnce()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        var n3 = cluster.Nodes[2];
        long id;
        using (var client = await ConnectAsync(n3))
        {
            id = await SessionIdAsync(cluster.Nodes[0], client);
            var sent = 2; // ConnectAsync's hello
            for (var i = 0; i < 40; i++)
            {
                var line = System.Text.Encoding.ASCII.GetBytes($"reading {i}\n");
                await client.SendAsync(line).Within();
                sent += line.Length;
                await Task.Delay(5);
            }

            // In n3's store (flushed within its interval), not yet shipped (messages settle two seconds first): then killed.
            await Timeouts.Eventually(async () =>
                (await n3.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within())!.Sum(m => m.GetProperty("size").GetInt32()) == sent ? (object)true : null,
                "every byte in n3's store");
            n3.Process.KillHard();
        }

        var before = await SharedSeqsAsync(cluster, id);

        // While n3 is away: a cluster listener is made on n1 and given a rule on n2.
        using var echo = new EchoServer();
        var port = ServerProcess.FreeTcpPort();
        (await cluster.Nodes[0].Http.PostAsJsonAsync("/api/listeners", new { name = "late", protocol = "tcp", port, upstream = $"127.0.0.1:{echo.Port}" }).Within()).EnsureSuccessStatusCode();
        (await cluster.Nodes[1].Http.PostAsJsonAsync("/api/listeners/late/rules",
            new { match = new { text = "PING" }, action = new { type = "reply", data = "PONG" } }).Within()).EnsureSuccessStatusCode();

        await n3.RestartAsync();
        var local = (await n3.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within())!.Select(m => m.GetProperty("seq").GetInt64()).ToList();
        Assert.True(before.Count < local.Count, $"{before.Count} of {local.Count} were shipped before the kill: the test wants some left in the spool");
        var shipped = await Timeouts.Eventually(async () =>
        {
            var seqs = await SharedSeqsAsync(cluster, id);
            return seqs.Count >= local.Count ? seqs : null;
        }, "the spool shipped", TimeSpan.FromSeconds(30));
        Assert.Equal(local, shipped); // every message, once, the same seqs as its node's store

        // Back, n3 binds what the cluster made without it, with the settings it was given.
        await Timeouts.Eventually(async () =>
            (await n3.Http.GetAsync("/api/listeners/late/rules").Within()) is { IsSuccessStatusCode: true } rules
                && (await rules.Content.ReadFromJsonAsync<JsonElement[]>())!.Length == 1 ? (object)true : null, "the listener and its rule on n3");
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await late.ConnectAsync(IPAddress.Parse(n3.Address), port).Within();
        await late.SendAsync("PING"u8.ToArray()).Within();
        Assert.Equal("PONG", System.Text.Encoding.ASCII.GetString(await late.ReceiveExactlyAsync(4)));
    }

    /// <summary>A session's state in PostgreSQL's shared history, straight from the database (null before it is shipped).</summary>
    private static Task<string?> SharedStateAsync(GatewayCluster cluster, long sessionId) =>
        SharedTextAsync(cluster, "SELECT state FROM history_sessions WHERE id = @key", sessionId);

    /// <summary>The note marked on a message in PostgreSQL's shared history, straight from the database.</summary>
    private static Task<string?> SharedNoteAsync(GatewayCluster cluster, long seq) =>
        SharedTextAsync(cluster, "SELECT info->'annotations'->>'note' FROM history_messages WHERE seq = @key", seq);

    private static async Task<string?> SharedTextAsync(GatewayCluster cluster, string sql, long key)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", key);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>What PostgreSQL's shared history holds of a session, straight from the database.</summary>
    private static async Task<List<long>> SharedSeqsAsync(GatewayCluster cluster, long sessionId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT seq FROM history_messages WHERE session_id = @id ORDER BY seq", connection);
        command.Parameters.AddWithValue("id", sessionId);
        var seqs = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            seqs.Add(reader.GetInt64(0));
        }

        return seqs;
    }

    [ClusterFact]
    public async Task RedisAwayFor5s_RelayingCaptureAndCrossNodeCommandsGoOn_HealthIsDegraded_AndLiveEventsReturn()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var client = await ConnectAsync(n2);
        var id = await SessionIdAsync(n1, client);

        await cluster.RedisOutageAsync(TimeSpan.FromSeconds(5), async () =>
        {
            await Timeouts.Eventually(async () => await n1.Http.GetStringAsync("/healthz").Within() == "Degraded" ? (object)true : null, "n1 degraded");
            // A command across nodes (Orleans, not Redis) and the session's own traffic, relayed and captured on its node.
            Assert.Equal(HttpStatusCode.Accepted, (await n1.Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "during\n" }).Within()).StatusCode);
            Assert.Equal("during\n", System.Text.Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(7)));
            await client.SendAsync("meanwhile"u8.ToArray()).Within();
            await Timeouts.Eventually(async () =>
                (await n1.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within())!.Any(m => m.GetProperty("data").GetString() == Convert.ToBase64String("meanwhile"u8.ToArray())) ? (object)true : null,
                "captured on its node, read through another");
        });

        await Timeouts.Eventually(async () => await n1.Http.GetStringAsync("/healthz").Within() == "Healthy" ? (object)true : null, "n1 healthy again", TimeSpan.FromSeconds(30));
        Assert.All(cluster.Nodes, n => Assert.False(n.Process.HasExited, $"{n.Id} stopped during the outage:\n{string.Join('\n', n.Process.Lines.TakeLast(20))}"));

        // Live events from n2 reach a hub client on n1 again.
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(n1.Http.BaseAddress!, "hubs/traffic")).Build();
        var seen = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<JsonElement[]>("traffic", batch =>
        {
            foreach (var m in batch.Where(m => m.GetProperty("sessionId").GetInt64() == id))
            {
                seen.TrySetResult(m);
            }
        });
        await hub.StartAsync().Within();
        await hub.InvokeAsync("Watch", $"session:{id}").Within();
        await Timeouts.Eventually(async () =>
        {
            await client.SendAsync("after"u8.ToArray()).Within();
            return await Task.WhenAny(seen.Task, Task.Delay(500)) == seen.Task ? (object)true : null;
        }, "n2's traffic on n1's hub after the outage", TimeSpan.FromSeconds(30));
    }

    [ClusterFact]
    public async Task PostgresAwayFor5s_RelayingCaptureAndCrossNodeCommandsGoOn_AndTheClusterStaysWhole()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        var (n1, n3) = (cluster.Nodes[0], cluster.Nodes[2]);
        using var client = await ConnectAsync(n3);
        var id = await SessionIdAsync(n1, client);

        await cluster.Postgres.StopAsync();
        var stopped = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Accepted, (await n1.Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "no database\n" }).Within()).StatusCode);
        Assert.Equal("no database\n", System.Text.Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(12)));
        await client.SendAsync("still captured"u8.ToArray()).Within();
        await Timeouts.Eventually(async () =>
            (await n3.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within())!.Any(m => m.GetProperty("data").GetString() == Convert.ToBase64String("still captured"u8.ToArray())) ? (object)true : null,
            "captured on its node");
        // A rule given meanwhile holds on the node asked at once, and reaches the others when the database is back.
        (await n1.Http.PostAsJsonAsync("/api/listeners/tcp/rules", new { match = new { text = "PING" }, action = new { type = "reply", data = "PONG" } }).Within()).EnsureSuccessStatusCode();
        using (var asked = await ConnectAsync(n1))
        {
            await asked.SendAsync("PING"u8.ToArray()).Within();
            Assert.Equal("PONG", System.Text.Encoding.ASCII.GetString(await asked.ReceiveExactlyAsync(4)));
        }

        var left = TimeSpan.FromSeconds(5) - stopped.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left); // the outage's length is the scenario
        }

        await cluster.Postgres.StartAsync();
        Assert.All(cluster.Nodes, n => Assert.False(n.Process.HasExited, $"{n.Id} stopped during the outage:\n{string.Join('\n', n.Process.Lines.TakeLast(20))}"));
        await Timeouts.Eventually(async () =>
        {
            var nodes = await n3.Http.GetFromJsonAsync<JsonElement[]>("/api/nodes").Within();
            return nodes!.All(n => n.GetProperty("state").GetString() == "active") ? (object)true : null;
        }, "three active nodes after the outage", TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Accepted, (await n1.Http.PostAsJsonAsync($"/api/sessions/{id}/send", new { data = "back\n" }).Within()).StatusCode);
        Assert.Equal("back\n", System.Text.Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(5)));

        await Timeouts.Eventually(async () =>
            (await n3.Http.GetFromJsonAsync<JsonElement[]>("/api/listeners/tcp/rules").Within())!.Length == 1 ? (object)true : null,
            "the rule given during the outage, on n3", TimeSpan.FromSeconds(30));

        // Shipping resumed: what n3 captured while the database was away is in the shared history, searched on n1.
        await Timeouts.Eventually(async () =>
            (await n1.Http.GetFromJsonAsync<JsonElement[]>("/api/messages?contains=still%20captured").Within())!.Length == 1 ? (object)true : null,
            "the message captured during the outage, shipped after", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StartUp_WithPostgresUnreachable_FailsWithOneClearLine()
    {
        var port = ServerProcess.FreeTcpPort();
        using var node = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Cluster:Enabled=true", "--Gateway:Cluster:NodeId=lonely",
            $"--ConnectionStrings:Cluster=Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", "--ConnectionStrings:Redis=127.0.0.1:1"]);
        Assert.Equal(1, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(node.Lines, l => l.StartsWith("Gateway failed to start:", StringComparison.Ordinal));
        Assert.Contains($"cannot reach PostgreSQL at 127.0.0.1:{port} (ConnectionStrings:Cluster)", line);
    }

    [ClusterFact]
    public async Task StartUp_WithRedisUnreachable_FailsWithOneClearLine()
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        var port = ServerProcess.FreeTcpPort();
        using var node = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Cluster:Enabled=true", "--Gateway:Cluster:NodeId=lonely",
            $"--ConnectionStrings:Cluster={postgres.ConnectionString}", $"--ConnectionStrings:Redis=127.0.0.1:{port}"]);
        Assert.Equal(1, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(node.Lines, l => l.StartsWith("Gateway failed to start:", StringComparison.Ordinal));
        Assert.Contains($"cannot reach Redis at 127.0.0.1:{port} (ConnectionStrings:Redis)", line);
    }

    [Fact]
    public async Task StartUp_WithoutTheServers_OrWithABadNodeName_SaysWhichSetting()
    {
        using var missing = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Cluster:Enabled=true", "--Gateway:Cluster:NodeId=n1"]);
        Assert.Equal(1, await missing.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(missing.Lines, l => l.Contains("needs ConnectionStrings:Cluster (PostgreSQL) and ConnectionStrings:Redis", StringComparison.Ordinal));

        using var badName = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Cluster:Enabled=true", "--Gateway:Cluster:NodeId=no spaces please",
            "--ConnectionStrings:Cluster=Host=127.0.0.1", "--ConnectionStrings:Redis=127.0.0.1:1"]);
        Assert.Equal(1, await badName.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(badName.Lines, l => l.Contains("Gateway:Cluster:NodeId 'no spaces please' is not a node name", StringComparison.Ordinal));

        using var badQueue = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Cluster:Enabled=true", "--Gateway:Cluster:NodeId=n1",
            "--Gateway:Cluster:EventQueueCapacity=0", "--ConnectionStrings:Cluster=Host=127.0.0.1", "--ConnectionStrings:Redis=127.0.0.1:1"]);
        Assert.Equal(1, await badQueue.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(badQueue.Lines, l => l.Contains("Gateway:Cluster:EventQueueCapacity and EventQueueBytes must be positive", StringComparison.Ordinal));
    }

    /// <summary>Opens <paramref name="count"/> connections through the balancer and returns the nodes their sessions opened on.</summary>
    private static async Task<List<string>> NodesBehindAsync(ClusterNodeProcess asked, int balancerPort, int count)
    {
        async Task<JsonElement[]> ListAsync() =>
            (await asked.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions?listenerId=balanced&state=all&sort=-id&limit=1000").Within())!;
        var before = (await ListAsync()).Select(s => s.GetProperty("id").GetInt64()).ToHashSet();
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, balancerPort).Within();
                await client.SendAsync("hi"u8.ToArray()).Within();
            }

            return await Timeouts.Eventually(async () =>
            {
                // (HAProxy's health checks are sessions too, without a byte: these said hi.)
                var fresh = (await ListAsync()).Where(s => !before.Contains(s.GetProperty("id").GetInt64()) && s.GetProperty("bytesIn").GetInt64() == 2).ToList();
                return fresh.Count == count ? fresh.Select(s => s.GetProperty("node").GetString()!).ToList() : null;
            }, $"{count} sessions behind the balancer");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task<Socket> ConnectAsync(ClusterNodeProcess node)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Parse(node.Address), node.TcpPort).Within();
        await client.SendAsync("hi"u8.ToArray()).Within();
        return client;
    }

    private static async Task<long> SessionIdAsync(ClusterNodeProcess asked, Socket client)
    {
        var remote = client.LocalEndPoint!.ToString();
        var session = (JsonElement)await Timeouts.Eventually<object>(async () =>
            (await asked.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within())!.Where(s => s.GetProperty("remote").GetString() == remote).Select(s => (object)s).FirstOrDefault(),
            "the session");
        return session.GetProperty("id").GetInt64();
    }
}
