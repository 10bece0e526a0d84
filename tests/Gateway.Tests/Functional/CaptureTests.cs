using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Functional;

/// <summary>The capture store over real sockets: history across restarts, accounting, back-pressure, retention, capture modes.</summary>
public sealed class CaptureTests
{
    [Fact]
    public async Task ARead_HasEverythingRecordedBeforeIt_WithoutWaitingForTheFlushInterval()
    {
        // A flush interval of ten minutes: nothing reaches the store by itself during this test. (The cluster's shipper
        // relies on this: a seq below one it reads is in the same read.)
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Capture:FlushIntervalMs"] = "600000" });
        var plane = app.Services.GetRequiredService<Gateway.Sessions.DataPlane>();
        var store = app.Services.GetRequiredService<Gateway.Capture.ICaptureStore>();
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await app.ConnectTcpAsync();
                clients.Add(client);
                for (var j = 0; j < 4; j++)
                {
                    await client.SendTextAsync($"client {i} line {j}\n");
                    await Task.Delay(20); // separate reads, separate messages
                }
            }

            var recorded = await Timeouts.Eventually(() =>
            {
                var sessions = plane.Sessions.Open.Select(s => s.Snapshot()).ToList();
                return Task.FromResult(sessions.Sum(s => s.BytesIn) == 3 * 4 * "client 0 line 0\n".Length ? (object)sessions.Sum(s => s.MessagesIn) : null);
            }, "every line read");
            Assert.Empty(await store.FindMessagesAsync(new Gateway.Capture.MessageQuery { Descending = false }, CancellationToken.None).Within()); // not committed yet

            var read = await app.Services.GetRequiredService<Gateway.Capture.SessionHistory>()
                .FindAsync(new Gateway.Capture.MessageQuery { Descending = false, Limit = 1000 }, CancellationToken.None).Within();
            Assert.Equal((long)recorded, read.Count);
            Assert.Equal(read.Select(m => m.Seq).Order(), read.Select(m => m.Seq));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Restart_SameDatabase_SessionsAndFullPayloadsKept_SeqAndIdsContinue()
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) };
        var sent = RandomNumberGenerator.GetBytes(300_000);
        long firstId;
        long lastSeq;
        long stillOpenId;
        Socket? stillOpen = null; // outlives the first app, so the gateway's stop closes it
        await using (var app = await GatewayApp.StartAsync(settings))
        {
            stillOpen = await app.ConnectTcpAsync();
            await stillOpen.SendTextAsync("open at stop");
            stillOpenId = (await app.SessionOfAsync(stillOpen)).Id;
            using var client = await app.ConnectTcpAsync();
            await client.SendAllAsync(sent);
            var session = await app.SessionOfAsync(client);
            await app.MessagesUntilAsync(session.Id, m => m.Sum(x => x.Size) == sent.Length, "all bytes recorded");
            (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "reply", encoding = "utf8" })).EnsureSuccessStatusCode();
            Assert.Equal("reply", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(5)));
            client.Shutdown(SocketShutdown.Both);
            await app.SessionOfAsync(client, "closed");
            firstId = session.Id;
            lastSeq = (await app.GetAsync<WireStats>("/api/stats")).LastSeq;
        }

        stillOpen.Dispose();

        await using (var app = await GatewayApp.StartAsync(settings))
        {
            var old = Assert.Single(await app.GetAsync<WireSession[]>("/api/sessions?state=all"), s => s.Id == firstId);
            Assert.Equal("closed", old.State);
            Assert.Equal("closed by peer", old.CloseReason);
            Assert.Equal(sent.Length, old.BytesIn);
            Assert.Empty(await app.GetAsync<WireSession[]>("/api/sessions"));
            var stopped = await app.GetAsync<WireSession>($"/api/sessions/{stillOpenId}");
            Assert.Equal("gateway shutting down", stopped.CloseReason); // a clean stop is not a crash
            Assert.Equal("open at stop"u8.ToArray(), await app.CapturedBytesAsync(stillOpenId, "in"));
            Assert.Equal(sent, await app.CapturedBytesAsync(firstId, "in"));
            Assert.Equal("reply"u8.ToArray(), await app.CapturedBytesAsync(firstId, "out"));
            Assert.Equal(firstId, (await app.GetAsync<WireSession>($"/api/sessions/{firstId}")).Id);

            using var client = await app.ConnectTcpAsync();
            await client.SendTextAsync("after restart");
            var session = await app.SessionOfAsync(client);
            Assert.True(session.Id > firstId, $"session id {session.Id} must continue after {firstId}");
            var message = Assert.Single(await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the new message"));
            Assert.True(message.Seq > lastSeq, $"seq {message.Seq} must continue after {lastSeq}");

            // A closed session from before the restart refuses sends with 409, not 404.
            await ApiAssert.ProblemAsync(await app.PostAsync($"/api/sessions/{firstId}/send", new { data = "x" }), HttpStatusCode.Conflict);
            await ApiAssert.ProblemAsync(await app.PostAsync($"/api/sessions/{session.Id + 1000}/send", new { data = "x" }), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task SearchMessages_ByTextHexDirectionListenerAndTime_NewestFirstAndPaged()
    {
        await using var app = await GatewayApp.StartAsync();
        var line = await app.CreateListenerAsync(new { name = "lines", protocol = "tcp", port = 0, framing = "line" });
        using var a = await app.ConnectTcpAsync();
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await b.ConnectAsync(IPAddress.Loopback, line.Port).Within();
        var sa = await SendNumberedAsync(app, a, count: 1, size: 20);
        await b.SendAllAsync([.. "temp=21 needle\n"u8]);
        await b.SendAllAsync([0x00, 0xFF, 0x10, 0x42, (byte)'\n']);
        var sb = await app.SessionOfAsync(b);
        await app.MessagesUntilAsync(sb.Id, m => m.Length == 2, "two lines");
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await a.SendTextAsync("another needle from a");
        (await app.PostAsync($"/api/sessions/{sb.Id}/send", new { data = "needle back\n" })).EnsureSuccessStatusCode();
        await app.MessagesUntilAsync(sb.Id, m => m.Length == 3, "the injected line");
        await app.MessagesUntilAsync(sa.Id, m => m.Length == 2, "a's second message");

        var needles = await app.GetAsync<WireMessage[]>("/api/messages?contains=needle");
        Assert.Equal(3, needles.Length);
        Assert.True(needles[0].Seq > needles[1].Seq && needles[1].Seq > needles[2].Seq, "newest first by default");
        Assert.Equal(needles.OrderBy(m => m.Seq).Select(m => m.Seq), (await app.GetAsync<WireMessage[]>("/api/messages?contains=needle&order=asc")).Select(m => m.Seq));

        var hex = Assert.Single(await app.GetAsync<WireMessage[]>("/api/messages?hex=00ff10"));
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x10, 0x42, (byte)'\n' }, hex.Data);
        Assert.Single(await app.GetAsync<WireMessage[]>("/api/messages?hex=00%20FF%3A10&contains=B"));
        Assert.Empty(await app.GetAsync<WireMessage[]>("/api/messages?hex=ff00"));

        var outgoing = Assert.Single(await app.GetAsync<WireMessage[]>("/api/messages?contains=needle&direction=out"));
        Assert.Equal(sb.Id, outgoing.SessionId);
        Assert.Equal(2, (await app.GetAsync<WireMessage[]>("/api/messages?contains=needle&listenerId=lines")).Length);
        Assert.All(await app.GetAsync<WireMessage[]>($"/api/messages?sessionId={sa.Id}"), m => Assert.Equal(sa.Id, m.SessionId));
        var recent = await app.GetAsync<WireMessage[]>($"/api/messages?from={Uri.EscapeDataString(between.ToString("O"))}");
        Assert.Equal(2, recent.Length);
        Assert.Empty(await app.GetAsync<WireMessage[]>($"/api/messages?to={Uri.EscapeDataString(between.AddMinutes(-1).ToString("O"))}"));

        // Paging newest first with beforeSeq, and by seq with afterSeq, visits every needle once.
        var first = Assert.Single(await app.GetAsync<WireMessage[]>("/api/messages?contains=needle&limit=1"));
        var rest = await app.GetAsync<WireMessage[]>($"/api/messages?contains=needle&limit=5&beforeSeq={first.Seq}");
        Assert.Equal(needles.Select(m => m.Seq), rest.Prepend(first).Select(m => m.Seq));
        var oldest = Assert.Single(await app.GetAsync<WireMessage[]>("/api/messages?contains=needle&order=asc&limit=1"));
        Assert.Equal(2, (await app.GetAsync<WireMessage[]>($"/api/messages?contains=needle&order=asc&afterSeq={oldest.Seq}")).Length);
    }

    [Theory]
    [InlineData("direction=sideways", "direction")]
    [InlineData("order=random", "order")]
    [InlineData("hex=zz", "hex")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("from=yesterday", "from")]
    [InlineData("sessionId=abc", "sessionId")]
    public async Task SearchMessages_BadQuery_400(string query, string named)
    {
        await using var app = await GatewayApp.StartAsync();
        var problem = await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/messages?{query}").Within(), HttpStatusCode.BadRequest);
        Assert.Contains(named, problem.Detail ?? problem.Title);
    }

    [Fact]
    public async Task WriterBehind_DropMode_LossCountedToTheByte()
    {
        // One commit (with its fsync) per message and room for 8 waiting: a fast sender outruns the writer.
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Capture:BatchBytes"] = "1",
            ["Gateway:Capture:QueueCapacity"] = "8",
        });
        using var client = await app.ConnectTcpAsync();
        var chunk = RandomNumberGenerator.GetBytes(64 * 1024);
        for (var i = 0; i < 256; i++)
        {
            await client.SendAllAsync(chunk);
        }

        var session = await app.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == 256L * chunk.Length ? "" : null, "16 MiB received");
        var stored = (await app.AllMessagesAsync(session.Id)).Sum(m => (long)m.Size); // also flushes the writer
        var stats = await app.GetAsync<WireStats>("/api/stats");
        var capture = stats.Capture!;

        Assert.True(capture.BytesDropped > 0, "the writer should have fallen behind");
        Assert.Equal(0, capture.BytesPending);
        Assert.Equal(stats.BytesIn + stats.BytesOut, capture.BytesSeen);
        Assert.Equal(capture.BytesSeen, capture.BytesCaptured + capture.BytesDropped);
        Assert.Equal(capture.BytesCaptured, stored);
        Assert.Equal(capture.MessagesSeen, capture.MessagesCaptured + capture.MessagesDropped);
    }

    [Fact]
    public async Task WriterBehind_BackpressureListener_NothingLost()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Capture:BatchBytes"] = "1",
            ["Gateway:Capture:QueueCapacity"] = "8",
        });
        var listener = await app.CreateListenerAsync(new { name = "slow", protocol = "tcp", port = 0, captureOverflow = "backpressure" });
        Assert.Equal("backpressure", listener.CaptureOverflow);
        Assert.Equal("full", listener.Capture);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        var sent = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        for (var offset = 0; offset < sent.Length; offset += 64 * 1024)
        {
            await client.SendAllAsync(sent[offset..(offset + 64 * 1024)]);
        }

        var session = await app.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == sent.Length ? "" : null,
            "8 MiB received", TimeSpan.FromSeconds(60));

        Assert.Equal(sent, await app.CapturedBytesAsync(session.Id, "in"));
        var capture = (await app.GetAsync<WireStats>("/api/stats")).Capture!;
        Assert.Equal(0, capture.BytesDropped);
        Assert.Equal(capture.BytesSeen, capture.BytesCaptured);
    }

    [Fact]
    public async Task Retention_MaxBytes_PrunesOldestFirst()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Capture:MaxBytes"] = "50000" });
        using var client = await app.ConnectTcpAsync();
        var session = await SendNumberedAsync(app, client, count: 120, size: 1000);

        var messages = await app.AllMessagesAsync(session.Id);
        var stats = (await app.GetAsync<WireStats>("/api/stats")).Capture!;
        Assert.True(stats.StoredBytes <= 50_000, $"stored {stats.StoredBytes} bytes, limit 50000");
        Assert.True(stats.PrunedBytes > 0);
        Assert.InRange(messages.Count, 20, 50);
        // What is left is the newest: the last message is there, and the kept ones are contiguous up to it.
        Assert.Equal(119, Number(messages[^1]));
        Assert.Equal(Enumerable.Range(Number(messages[0]), messages.Count), messages.Select(Number));
    }

    [Fact]
    public async Task Retention_MaxAge_PrunesOldMessagesAndSessions()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Capture:MaxAgeHours"] = "0.0005" }); // 1.8 s
        long id;
        using (var client = await app.ConnectTcpAsync())
        {
            id = (await SendNumberedAsync(app, client, count: 3, size: 10)).Id;
        }

        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{id}")).State == "closed" ? "" : null, "closed");
        await Timeouts.Eventually(async () => (await app.GetAsync<WireMessage[]>($"/api/messages?sessionId={id}")).Length == 0 ? "" : null,
            "old messages pruned", TimeSpan.FromSeconds(15));
        await Timeouts.Eventually(async () => (await app.Http.GetAsync($"/api/sessions/{id}")).StatusCode == HttpStatusCode.NotFound ? "" : null,
            "the old closed session pruned", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task CaptureModes_MetadataKeepsSizesOnly_OffKeepsNothing()
    {
        await using var app = await GatewayApp.StartAsync();
        var metadata = await app.CreateListenerAsync(new { name = "meta", protocol = "tcp", port = 0, capture = "metadata" });
        var off = await app.CreateListenerAsync(new { name = "off", protocol = "tcp", port = 0, capture = "off" });

        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await a.ConnectAsync(IPAddress.Loopback, metadata.Port).Within();
        await a.SendTextAsync("secret payload");
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await b.ConnectAsync(IPAddress.Loopback, off.Port).Within();
        await b.SendTextAsync("not kept");

        var metaSession = await app.SessionOfAsync(a);
        Assert.Equal("metadata", metaSession.Capture);
        var message = Assert.Single(await app.MessagesUntilAsync(metaSession.Id, m => m.Length == 1, "the metadata row"));
        Assert.Equal(14, message.Size);
        Assert.Empty(message.Data);
        Assert.True(message.Truncated);

        var offSession = await app.SessionOfAsync(b);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{offSession.Id}")).BytesIn == 8 ? "" : null, "bytes counted");
        Assert.Empty(await app.MessagesAsync(offSession.Id));
        Assert.Equal("off", offSession.Capture);
        b.Shutdown(SocketShutdown.Both);
        Assert.Equal("off", (await app.SessionOfAsync(b, "closed")).Capture); // closed, still listed from memory

        var capture = (await app.GetAsync<WireStats>("/api/stats")).Capture!;
        Assert.Equal(0, capture.BytesSeen); // metadata keeps no payload bytes; off is not seen at all
        Assert.Equal(1, capture.MessagesSeen);
    }

    [Theory]
    [InlineData("capture", "everything", "capture")]
    [InlineData("captureOverflow", "block", "captureOverflow")]
    public async Task CreateListener_BadCaptureOption_400NamingIt(string field, string value, string named)
    {
        await using var app = await GatewayApp.StartAsync();
        var body = new Dictionary<string, object> { ["name"] = "x", ["protocol"] = "tcp", [field] = value };
        var problem = await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", body), HttpStatusCode.BadRequest);
        Assert.Contains(named, problem.Detail);
    }

    /// <summary>Sends count messages "NNNN:" padded to size, one at a time, each seen recorded before the next.</summary>
    internal static async Task<WireSession> SendNumberedAsync(GatewayApp app, Socket client, int count, int size)
    {
        WireSession? session = null;
        for (var i = 0; i < count; i++)
        {
            await client.SendAllAsync(Numbered(i, size));
            session ??= await app.SessionOfAsync(client);
            var expected = i + 1;
            await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).MessagesIn == expected ? "" : null, $"message {i}");
        }

        return session!;
    }

    internal static byte[] Numbered(int i, int size) => Encoding.ASCII.GetBytes($"{i:D4}:".PadRight(size, '.'));

    private static int Number(WireMessage message) => int.Parse(Encoding.ASCII.GetString(message.Data, 0, 4));
}
