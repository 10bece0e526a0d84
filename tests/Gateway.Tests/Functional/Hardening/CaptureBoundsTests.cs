using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>The capture store stays bounded: slow exports, floods of sessions, and one listener's flood of messages.</summary>
public sealed class CaptureBoundsTests
{
    [Fact]
    public async Task SlowCaptureJsonDownload_WhileTrafficFlows_DoesNotGrowTheWal_AndLosesNothing()
    {
        using var folder = new TempFolder();
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) });
        var lines = await app.CreateListenerAsync(new { name = "lines", protocol = "tcp", port = 0, framing = "line" });
        long recorded;
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(IPAddress.Loopback, lines.Port).Within();
            var line = Encoding.ASCII.GetBytes(new string('x', 1999) + "\n");
            for (var i = 0; i < 2000; i++)
            {
                await client.SendAllAsync(line);
            }

            recorded = (await app.SessionOfAsync(client)).Id;
            await app.MessagesUntilAsync(recorded, _ => true, "the session");
        }

        // A client that asks for the export and then reads nothing: the server's writes stall on TCP.
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(IPAddress.Loopback, app.BaseAddress.Port).Within();
        await slow.SendTextAsync($"GET /api/sessions/{recorded}/capture.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var first = new byte[1];
        Assert.Equal(1, await slow.ReceiveAsync(first).Within()); // the download has begun

        // 40 MB of captured traffic meanwhile.
        using (var flow = await app.ConnectTcpAsync())
        {
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 640; i++)
            {
                await flow.SendAllAsync(chunk);
            }

            var session = await app.SessionOfAsync(flow);
            await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == 640L * chunk.Length ? "" : null, "the flow read");
        }

        await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement>("/api/stats")).GetProperty("capture").GetProperty("bytesPending").GetInt64() == 0 ? "" : null, "the writer caught up");
        var wal = new FileInfo(Path.Combine(folder.Path, "gateway.db-wal"));
        wal.Refresh();
        Assert.True(wal.Length <= 24L * 1024 * 1024, $"the WAL grew to {wal.Length} bytes behind a slow reader");

        // The download, read to its end now, holds every message.
        var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        body.Write(first);
        while (!EndsChunked(body))
        {
            var read = await slow.ReceiveAsync(buffer).Within();
            if (read == 0)
            {
                break;
            }

            body.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(body.ToArray());
        var json = Dechunk(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.Equal(2000, JsonDocument.Parse(json).RootElement.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task ConnectCloseFlood_SessionRowsCountTowardMaxBytes_AndArePruned()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Capture:MaxBytes"] = "100000" });
        for (var i = 0; i < 1500; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, app.TcpPort).Within();
        }

        // The last connection is the marker: once it is closed in history, every earlier one was handled.
        using (var marker = await app.ConnectTcpAsync())
        {
            await app.SessionOfAsync(marker, "open");
        }

        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession[]>("/api/sessions?state=open")).Length == 0 ? "" : null, "every session closed");
        var capture = (await app.GetAsync<JsonElement>("/api/stats")).GetProperty("capture");
        Assert.InRange(capture.GetProperty("storedBytes").GetInt64(), 1, 100_000);
        var kept = await app.GetAsync<WireSession[]>("/api/sessions?state=closed&limit=1000");
        Assert.InRange(kept.Length, 1, 100_000 / 256);
        Assert.True(capture.GetProperty("prunedBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task AgeRetention_RemovesOldSessionsAndAuditRows_EvenWithoutMessages()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Capture:MaxAgeHours"] = "0.0005" }); // 1.8 s
        using (var client = await app.ConnectTcpAsync())
        {
            await app.SessionOfAsync(client, "open");
        }

        await app.CreateListenerAsync(new { name = "audited", protocol = "tcp", port = 0 });
        Assert.NotEmpty(await app.GetAsync<JsonElement[]>("/api/audit"));
        await Timeouts.Eventually(async () =>
        {
            var sessions = await app.GetAsync<WireSession[]>("/api/sessions?state=closed");
            var audit = await app.GetAsync<JsonElement[]>("/api/audit");
            return sessions.Length == 0 && audit.Length == 0 ? "" : null;
        }, "sessions and audit rows older than MaxAgeHours removed", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task OneListenersFloodOfEmptyFrames_DoesNotCostAnotherListenerItsCapture()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Capture:QueueCapacity"] = "3000",
            ["Gateway:Observers:ChannelCapacity"] = "1000000",
        });
        var flood = await app.CreateListenerAsync(new { name = "flood", protocol = "tcp", port = 0, framing = "len16" });
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await flooder.ConnectAsync(IPAddress.Loopback, flood.Port).Within();
        using var victim = await app.ConnectTcpAsync();
        var zeros = new byte[64 * 1024]; // 32,768 zero-length len16 frames
        var sent = new StringBuilder();
        for (var i = 0; i < 32; i++)
        {
            await flooder.SendAllAsync(zeros);
            var text = $"victim message {i};";
            await victim.SendTextAsync(text);
            sent.Append(text);
        }

        var session = await app.SessionOfAsync(victim);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == sent.Length ? "" : null, "the victim's bytes read");
        // Reads flush the writer first (a marker behind everything queued), so this sees all it kept.
        Assert.Equal(sent.ToString(), Encoding.ASCII.GetString(await app.CapturedBytesAsync(session.Id, "in")));
        Assert.True((await app.GetAsync<JsonElement>("/api/stats")).GetProperty("capture").GetProperty("messagesDropped").GetInt64() > 0,
            "the flood was not past its share: the test proves nothing");
    }

    private static bool EndsChunked(MemoryStream body) =>
        body.Length >= 5 && Encoding.ASCII.GetString(body.GetBuffer(), (int)body.Length - 5, 5) == "0\r\n\r\n";

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
    }
}
