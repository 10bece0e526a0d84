// Load generators for bench/run.sh. Every loop is bounded in count and time; every target is loopback.
// Each command prints one line "RESULT key=value ..." for the script to read.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

var command = args.Length > 0 ? args[0] : "";
var options = Options.Parse(args.Skip(1));
return command switch
{
    "echo" => await Echo(options),
    "hubwatch" => await HubWatch(options),
    "conns" => await Connections(options),
    "pingpong" => await PingPong(options),
    "watchlat" => await WatchLatency(options),
    "fanout" => await FanOut(options),
    "blast" => await Blast(options),
    "udp" => await Udp(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("loadgen echo|hubwatch|conns|pingpong|watchlat|fanout|blast|udp --key value ...");
    return 2;
}

static void Result(params (string Key, object Value)[] values) =>
    Console.WriteLine("RESULT " + string.Join(' ', values.Select(v => $"{v.Key}={Convert.ToString(v.Value, CultureInfo.InvariantCulture)}")));

static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

// A TCP echo server (the upstream of the latency relays), for --seconds.
static async Task<int> Echo(Options o)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(Loopback(o.Int("port")));
    listener.Listen(128);
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(o.Int("seconds", 600)));
    Console.WriteLine("echo listening");
    try
    {
        while (true)
        {
            var client = await listener.AcceptAsync(stop.Token);
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var buffer = new byte[64 * 1024];
                    try
                    {
                        int read;
                        while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
                        {
                            await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop.Token);
                        }
                    }
                    catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                    {
                    }
                }
            });
        }
    }
    catch (OperationCanceledException)
    {
        return 0;
    }
}

static async Task<HubConnection> ConnectHub(string http)
{
    var hub = new HubConnectionBuilder().WithUrl(new Uri(new Uri(http), "/hubs/traffic")).Build();
    await hub.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
    return hub;
}

// One hub client watching everything for --seconds; counts the messages it was sent.
static async Task<int> HubWatch(Options o)
{
    long messages = 0;
    await using var hub = await ConnectHub(o.Str("http"));
    hub.On<JsonElement>("traffic", batch => Interlocked.Add(ref messages, batch.GetArrayLength()));
    await hub.InvokeAsync("Watch", "*");
    Console.WriteLine("watching");
    await Task.Delay(TimeSpan.FromSeconds(o.Int("seconds")));
    Result(("watched", Interlocked.Read(ref messages)));
    return 0;
}

static long Rss(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }

    return 0;
}

static async Task<long> OpenSessions(HttpClient http) =>
    (await http.GetFromJsonAsync<JsonElement>("/api/stats")).GetProperty("sessionsOpen").GetInt64();

// --count idle connections to --port: accept rate and gateway RSS per session; then --chatty of them talk.
static async Task<int> Connections(Options o)
{
    var count = o.Int("count");
    var pid = o.Int("pid");
    using var http = new HttpClient { BaseAddress = new Uri(o.Str("http")) };
    GC.Collect();
    await Task.Delay(1000);
    var rssBefore = Rss(pid);
    var sockets = new List<Socket>(count);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i += 200)
    {
        var batch = Enumerable.Range(0, Math.Min(200, count - i)).Select(async _ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await s.ConnectAsync(Loopback(o.Int("port")));
            return s;
        });
        sockets.AddRange(await Task.WhenAll(batch));
    }

    var deadline = Stopwatch.StartNew();
    while (await OpenSessions(http) < count && deadline.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(50);
    }

    var acceptSeconds = clock.Elapsed.TotalSeconds;
    var open = await OpenSessions(http);
    await Task.Delay(2000);
    var rssIdle = Rss(pid);

    // 100 of them chat: one 64-byte message every 10 ms each, for 5 s.
    var chatty = Math.Min(o.Int("chatty", 100), sockets.Count);
    var payload = new byte[64];
    long sent = 0;
    var chat = Stopwatch.StartNew();
    await Task.WhenAll(sockets.Take(chatty).Select(async s =>
    {
        while (chat.Elapsed < TimeSpan.FromSeconds(5))
        {
            await s.SendAsync(payload, SocketFlags.None);
            Interlocked.Increment(ref sent);
            await Task.Delay(10);
        }
    }));
    var rssChatty = Rss(pid);
    foreach (var s in sockets)
    {
        s.Dispose();
    }

    Result(("opened", open), ("accept_per_s", Math.Round(count / acceptSeconds)), ("rss_before", rssBefore), ("rss_idle", rssIdle),
        ("rss_per_session", (rssIdle - rssBefore) / Math.Max(1, open)), ("rss_chatty", rssChatty), ("chat_msgs_per_s", Math.Round(sent / 5.0)));
    return 0;
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

// Round trips of --size bytes through --port (a relay to an echo server): p50/p99/p99.9 in microseconds.
static async Task<int> PingPong(Options o)
{
    var size = o.Int("size");
    var count = o.Int("count", 5000);
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(Loopback(o.Int("port")));
    var payload = new byte[size];
    var buffer = new byte[size];
    var times = new List<double>(count);
    for (var i = 0; i < count + 200; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await socket.SendAsync(payload, SocketFlags.None);
        var got = 0;
        while (got < size)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            got += n;
        }

        if (i >= 200)
        {
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds); // after 200 warm-up rounds
        }
    }

    times.Sort();
    Result(("p50_us", Math.Round(Percentile(times, 0.5))), ("p99_us", Math.Round(Percentile(times, 0.99))), ("p999_us", Math.Round(Percentile(times, 0.999))));
    return 0;
}

// --rate timestamped messages per second into --port for --seconds; a hub client watching the session
// reports socket-to-hub-client latency.
static async Task<int> WatchLatency(Options o)
{
    var latencies = new List<double>();
    var epoch = Stopwatch.GetTimestamp();
    var warmUpMs = 1000.0;
    await using var hub = await ConnectHub(o.Str("http"));
    hub.On<JsonElement>("traffic", batch =>
    {
        var now = Stopwatch.GetElapsedTime(epoch).TotalMilliseconds;
        lock (latencies)
        {
            foreach (var m in batch.EnumerateArray())
            {
                var text = System.Text.Encoding.ASCII.GetString(m.GetProperty("data").GetBytesFromBase64()).TrimEnd('\n');
                var sentAt = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var at) ? at : double.NaN;
                if (sentAt >= warmUpMs) // the first second warms up the paths (JIT, connections) and is not measured
                {
                    latencies.Add(now - sentAt);
                }
            }
        }
    });
    await hub.InvokeAsync("Watch", $"listener:{o.Str("listener")}");
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(Loopback(o.Int("port")));
    var rate = o.Int("rate");
    var total = rate * (o.Int("seconds") + 1);
    warmUpMs = Stopwatch.GetElapsedTime(epoch).TotalMilliseconds + 1000;
    // One line per message (the listener frames by line), so messages that meet in one read stay apart.
    await Paced(rate, total, async _ => await socket.SendAsync(
        System.Text.Encoding.ASCII.GetBytes(Stopwatch.GetElapsedTime(epoch).TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture) + "\n"), SocketFlags.None));

    await Task.Delay(1000);
    List<double> sorted;
    lock (latencies)
    {
        sorted = latencies.Order().ToList();
    }

    // A read may carry two messages when they meet in the socket; those are skipped, so count what was measured.
    Result(("sent", total - rate), ("measured", sorted.Count), ("p50_ms", Math.Round(Percentile(sorted, 0.5), 2)), ("p99_ms", Math.Round(Percentile(sorted, 0.99), 2)),
        ("max_ms", Math.Round(sorted.Count == 0 ? double.NaN : sorted[^1], 2)));
    return 0;
}

// --clients hub clients watch everything while one connection sends --rate messages/s for --seconds.
static async Task<int> FanOut(Options o)
{
    var clients = o.Int("clients");
    long received = 0;
    var hubs = new List<HubConnection>();
    for (var i = 0; i < clients; i++)
    {
        var hub = await ConnectHub(o.Str("http"));
        hub.On<JsonElement>("traffic", batch => Interlocked.Add(ref received, batch.GetArrayLength()));
        await hub.InvokeAsync("Watch", "*");
        hubs.Add(hub);
    }

    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(Loopback(o.Int("port")));
    var rate = o.Int("rate");
    var total = rate * o.Int("seconds");
    var line = System.Text.Encoding.ASCII.GetBytes(new string('x', 63) + "\n"); // the listener frames by line: one message each
    await Paced(rate, total, async _ => await socket.SendAsync(line, SocketFlags.None));

    await Task.Delay(2000);
    foreach (var hub in hubs)
    {
        await hub.DisposeAsync();
    }

    Result(("clients", clients), ("sent", total), ("delivered_per_client", Math.Round((double)Interlocked.Read(ref received) / clients)));
    return 0;
}

// Sends --mb MiB into --port as fast as it goes; with --stall a hub client watching everything stops reading.
static async Task<int> Blast(Options o)
{
    // A client that stops reading for real: a raw WebSocket that joins the hub, watches everything and
    // never calls receive. (A SignalR client whose handler blocks still reads: it only piles up handlers.)
    using var stalled = o.Has("stall") ? await StalledWatcher(o.Str("http")) : null;

    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(Loopback(o.Int("port")));
    var chunk = new byte[64 * 1024];
    var total = o.Long("mb") * 1024 * 1024;
    var clock = Stopwatch.StartNew();
    for (long sent = 0; sent < total; sent += chunk.Length)
    {
        await socket.SendAsync(chunk, SocketFlags.None);
    }

    socket.Shutdown(SocketShutdown.Send);
    await socket.ReceiveAsync(new byte[1], SocketFlags.None); // the gateway read it all when it closes
    var seconds = clock.Elapsed.TotalSeconds;

    Result(("mb_per_s", Math.Round(total / 1048576.0 / seconds)));
    return 0;
}

static async Task<System.Net.WebSockets.ClientWebSocket> StalledWatcher(string http)
{
    using var client = new HttpClient { BaseAddress = new Uri(http) };
    var negotiate = await (await client.PostAsync("/hubs/traffic/negotiate?negotiateVersion=1", null)).Content.ReadFromJsonAsync<JsonElement>();
    var socket = new System.Net.WebSockets.ClientWebSocket();
    socket.Options.SetBuffer(4096, 4096);
    var ws = new Uri(new Uri(http.Replace("http://", "ws://", StringComparison.Ordinal)), $"/hubs/traffic?id={negotiate.GetProperty("connectionToken").GetString()}");
    await socket.ConnectAsync(ws, CancellationToken.None);
    foreach (var frame in new[] { "{\"protocol\":\"json\",\"version\":1}\u001e", "{\"type\":1,\"target\":\"Watch\",\"arguments\":[\"*\"]}\u001e" })
    {
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(frame), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
    }

    await Task.Delay(500); // the Watch is in before the traffic starts
    return socket;
}

// Datagrams at increasing rates into --port; the gateway's count (and a hub client's) against what was sent.
static async Task<int> Udp(Options o)
{
    using var http = new HttpClient { BaseAddress = new Uri(o.Str("http")) };
    long watched = 0;
    await using var hub = await ConnectHub(o.Str("http"));
    hub.On<JsonElement>("traffic", batch => Interlocked.Add(ref watched, batch.GetArrayLength()));
    await hub.InvokeAsync("Watch", $"listener:{o.Str("listener")}");
    var best = 0;
    var lines = new List<string>();
    foreach (var rate in new[] { 5_000, 10_000, 20_000, 40_000, 80_000, 160_000 })
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(Loopback(o.Int("port")));
        var before = Interlocked.Read(ref watched);
        var total = rate * 2;
        var payload = new byte[64];
        await Paced(rate, total, async _ => await socket.SendAsync(payload, SocketFlags.None));

        await Task.Delay(1500);
        var local = EndpointText(socket.LocalEndPoint!);
        var sessions = await http.GetFromJsonAsync<JsonElement>($"/api/sessions?listenerId={o.Str("listener")}&state=all&limit=10000");
        var received = sessions.EnumerateArray().Where(s => s.GetProperty("remote").GetString() == local).Sum(s => s.GetProperty("messagesIn").GetInt64());
        var seen = Interlocked.Read(ref watched) - before;
        lines.Add($"{rate}:{received}/{total}:{seen}");
        if (received == total && seen == total)
        {
            best = rate;
        }
        else
        {
            break;
        }
    }

    Result(("lossless_per_s", best), ("steps", string.Join(',', lines)));
    return 0;
}

static string EndpointText(EndPoint endpoint) => endpoint.ToString()!;

// Sends `total` items at `rate` per second without spinning: every millisecond tick sends what is due.
// (Spinning on a pool thread starved this process's own hub clients, which is what the numbers then showed.)
static async Task Paced(int rate, int total, Func<int, ValueTask> send)
{
    var clock = Stopwatch.StartNew();
    var sent = 0;
    while (sent < total)
    {
        var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
        for (; sent < due; sent++)
        {
            await send(sent);
        }

        await Task.Delay(1);
    }
}
