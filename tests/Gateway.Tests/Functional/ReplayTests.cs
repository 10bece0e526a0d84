using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>Replaying a captured conversation against a real server on loopback.</summary>
public sealed class ReplayTests
{
    [Fact]
    public async Task ReplayAsap_DeliversTheRecordedInBytesInOrder_AsAWatchedOutboundSession()
    {
        await using var app = await GatewayApp.StartAsync();
        var recorded = await RecordAsync(app, ["GET /status\r\n", "PING 1\r\n", "PING 2\r\n", "QUIT\r\n"], gapMs: 20, reply: "an answer that is not replayed");

        using var server = new LoopbackServer();
        var response = await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = server.Port, protocol = "tcp", direction = "in", timing = "asap" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var replay = (await response.Content.ReadFromJsonAsync<WireSession>(GatewayApp.Json).Within())!;
        Assert.Equal("outbound", replay.Kind);
        Assert.Equal($"/api/sessions/{replay.Id}", response.Headers.Location?.OriginalString);

        using var peer = await server.AcceptAsync().Within();
        const string expected = "GET /status\r\nPING 1\r\nPING 2\r\nQUIT\r\n";
        Assert.Equal(expected, Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(expected.Length)));
        await app.MessagesUntilAsync(replay.Id, m => m.Where(x => x.Direction == "out").Sum(x => x.Size) == expected.Length, "the replay recorded as out");

        // The new session is live: the server's answer shows up in it.
        await peer.SendTextAsync("200 OK");
        await app.MessagesUntilAsync(replay.Id, m => m.Any(x => x.Direction == "in" && Encoding.ASCII.GetString(x.Data) == "200 OK"), "the answer");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public async Task ReplayOriginal_KeepsTheRecordedGaps_ScaledBySpeed(double speed)
    {
        await using var app = await GatewayApp.StartAsync();
        // Gaps long enough that a scheduling stall of a busy machine (a few hundred ms) cannot make speed 2 look like speed 1.
        var recorded = await RecordAsync(app, ["a", "b", "c"], gapMs: 800);
        var messages = (await app.AllMessagesAsync(recorded)).Where(m => m.Direction == "in").ToArray();
        var recordedGaps = messages.Zip(messages.Skip(1), (x, y) => (y.At - x.At).TotalMilliseconds).ToArray();

        using var server = new LoopbackServer();
        (await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = server.Port, timing = "original", speed })).EnsureSuccessStatusCode();
        using var peer = await server.AcceptAsync().Within();
        var arrivals = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            await peer.ReceiveExactlyAsync(1);
            arrivals.Add(clock.Elapsed.TotalMilliseconds);
        }

        var gaps = arrivals.Zip(arrivals.Skip(1), (x, y) => y - x).ToArray();
        for (var i = 0; i < gaps.Length; i++)
        {
            var want = recordedGaps[i] / speed;
            Assert.InRange(gaps[i], want - 60, want + 250);
        }
    }

    [Fact]
    public async Task ReplayUdpOutDirection_SendsTheGatewaysDatagrams()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendAsync("hello"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
        var session = await app.SessionOfAsync(client.Client);
        foreach (var reply in new[] { "one", "two", "three" })
        {
            (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = reply })).EnsureSuccessStatusCode();
            await client.ReceiveAsync().Within();
        }

        using var target = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)target.Client.LocalEndPoint!).Port;
        (await app.PostAsync($"/api/sessions/{session.Id}/replay", new { host = "127.0.0.1", port, direction = "out", timing = "asap" })).EnsureSuccessStatusCode();
        var received = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            received.Add(Encoding.ASCII.GetString((await target.ReceiveAsync().Within()).Buffer));
        }

        Assert.Equal(["one", "two", "three"], received);
    }

    [Theory]
    [InlineData("""{"host":"127.0.0.1","port":1,"direction":"sideways"}""", HttpStatusCode.BadRequest, "direction")]
    [InlineData("""{"host":"127.0.0.1","port":1,"timing":"later"}""", HttpStatusCode.BadRequest, "timing")]
    [InlineData("""{"host":"127.0.0.1","port":1,"speed":0}""", HttpStatusCode.BadRequest, "speed")]
    [InlineData("""{"host":"127.0.0.1","port":1,"direction":"out"}""", HttpStatusCode.BadRequest, "no captured 'out'")]
    [InlineData("""{"port":1}""", HttpStatusCode.BadRequest, "host")]
    public async Task Replay_BadRequest_ClearProblem(string body, HttpStatusCode status, string detail)
    {
        await using var app = await GatewayApp.StartAsync();
        var recorded = await RecordAsync(app, ["x"], gapMs: 0);
        var problem = await ApiAssert.ProblemAsync(await app.PostJsonTextAsync($"/api/sessions/{recorded}/replay", body), status);
        Assert.Contains(detail, problem.Detail);
    }

    [Fact]
    public async Task Replay_UnknownSession404_RefusedTarget502()
    {
        await using var app = await GatewayApp.StartAsync();
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/sessions/424242/replay", new { host = "127.0.0.1", port = 1 }), HttpStatusCode.NotFound);
        var recorded = await RecordAsync(app, ["x"], gapMs: 0);
        using var squatter = new LoopbackServer();
        var closedPort = squatter.Port;
        squatter.Dispose();
        await ApiAssert.ProblemAsync(await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = closedPort }), HttpStatusCode.BadGateway);
    }

    /// <summary>A client sends each message to the gateway, <paramref name="gapMs"/> apart, then closes; returns the session id.</summary>
    private static async Task<long> RecordAsync(GatewayApp app, string[] messages, int gapMs, string? reply = null)
    {
        using var client = await app.ConnectTcpAsync();
        WireSession? session = null;
        for (var i = 0; i < messages.Length; i++)
        {
            if (i > 0)
            {
                await Task.Delay(gapMs);
            }

            await client.SendTextAsync(messages[i]);
            session ??= await app.SessionOfAsync(client);
            var count = i + 1;
            await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).MessagesIn == count ? "" : null, "recorded");
        }

        if (reply is not null)
        {
            (await app.PostAsync($"/api/sessions/{session!.Id}/send", new { data = reply })).EnsureSuccessStatusCode();
            await client.ReceiveExactlyAsync(reply.Length);
        }

        return session!.Id;
    }
}
