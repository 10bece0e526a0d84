using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Pipeline;

/// <summary>Listener rules over real sockets: auto-responders, rewriting, dropping, content-aware faults, tags.</summary>
public sealed class RuleTests
{
    private static readonly object PingPong = new
    {
        name = "ping",
        match = new { regex = "^PING(.*)\r\n" },
        action = new { type = "reply", data = "PONG$1\r\n" },
    };

    [Fact]
    public async Task AutoResponder_OnTheDefaultTcpListener_AnswersEachPing_WithTheGroup()
    {
        await using var app = await GatewayApp.StartAsync();
        var response = await app.PostAsync("/api/listeners/tcp/rules", PingPong);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var rule = (await response.Content.ReadFromJsonAsync<WireRule>(GatewayApp.Json).Within())!;
        Assert.Equal($"/api/listeners/tcp/rules/{rule.Id}", response.Headers.Location?.OriginalString);

        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("PING 1\r\n");
        Assert.Equal("PONG 1\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(8)));
        await client.SendTextAsync("PING abc\r\n");
        Assert.Equal("PONG abc\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(10)));
        await client.SendTextAsync("HELLO\r\n");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 5, "HELLO read as a message of its own");
        await client.SendTextAsync("PING z\r\n"); // the marker: had HELLO been answered, that answer would come first
        Assert.Equal("PONG z\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(8)));

        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 7, "four in, three replies out");
        Assert.Equal(["in", "out", "in", "out", "in", "in", "out"], messages.Select(m => m.Direction));
        Assert.Equal([rule.Id], messages[0].Rules!);
        Assert.Null(messages[4].Rules);
        Assert.Equal(3, Assert.Single(await app.GetAsync<WireRule[]>("/api/listeners/tcp/rules")).Hits);
    }

    [Fact]
    public async Task AutoResponder_OnTheUdpListener_AnswersTheDatagramsSender()
    {
        await using var app = await GatewayApp.StartAsync();
        (await app.PostAsync("/api/listeners/udp/rules", new { match = new { prefixHex = "01 02" }, action = new { type = "reply", data = "aa bb $0", encoding = "hex" } })).EnsureSuccessStatusCode();
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendAsync(new byte[] { 1, 2, 3 }, new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
        var answer = await client.ReceiveAsync().Within();
        Assert.Equal(new byte[] { 0xaa, 0xbb }, answer.Buffer); // $0 without a regex is empty
        Assert.Equal(app.UdpPort, answer.RemoteEndPoint.Port);
    }

    [Fact]
    public async Task RelayReply_AnswersTheClient_WithoutReachingTheUpstream_ForwardTrueDoesBoth()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new
        {
            name = "rr", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", framing = "line",
            rules = new object[]
            {
                new { match = new { text = "STATUS" }, action = new { type = "reply", data = "OK cached\n" } },
                new { match = new { text = "AUDIT" }, action = new { type = "reply", data = "seen\n", forward = true } },
            },
        });
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;

        await client.SendTextAsync("STATUS\n");
        Assert.Equal("OK cached\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(10)));
        await client.SendTextAsync("AUDIT 7\n");
        Assert.Equal("seen\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(5)));
        // The upstream's first bytes are AUDIT's: STATUS never reached it.
        Assert.Equal("AUDIT 7\n", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(8)));
    }

    [Fact]
    public async Task ReplaceAndDrop_RewriteAndStopMessagesInFlight_BothDirections()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new { name = "rw", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", framing = "line" });
        (await app.Http.PutAsJsonAsync("/api/listeners/rw/rules", new object[]
        {
            new { direction = "in", match = new { text = "password=" }, action = new { type = "replace", regex = "password=\\S+", with = "password=***" } },
            new { direction = "in", match = new { text = "DEBUG" }, action = new { type = "drop" } },
            new { direction = "out", match = new { hex = "ff" }, action = new { type = "replace", hex = "ff", with = "00 00" } },
        }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;

        await client.SendTextAsync("login user=ann password=hunter2\nDEBUG dump\nbye\n");
        Assert.Equal("login user=ann password=***\nbye\n", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(32)));
        await server.SendAllAsync([0x41, 0xff, 0x0a]);
        Assert.Equal(new byte[] { 0x41, 0x00, 0x00, 0x0a }, await client.ReceiveExactlyAsync(4));

        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 4, "four messages");
        Assert.Equal("login user=ann password=***\n", Encoding.ASCII.GetString(messages[0].Data));
        Assert.Equal(("DEBUG dump\n", "r2"), (Encoding.ASCII.GetString(messages[1].Data), Assert.Single(messages[1].Rules!)));
    }

    [Fact]
    public async Task ContentAwareFault_DelaysOnlyMatchingMessages()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new
        {
            name = "slow", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", framing = "line",
            rules = new object[] { new { match = new { text = "SLOW" }, action = new { type = "fault", fault = new { type = "latency", ms = 600 } } } },
        });
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await client.SendTextAsync("fast\n");
        await server.ReceiveExactlyAsync(5);
        var fast = clock.Elapsed;
        clock.Restart();
        await client.SendTextAsync("SLOW\n");
        await server.ReceiveExactlyAsync(5);
        var slow = clock.Elapsed;

        Assert.True(fast < TimeSpan.FromMilliseconds(400), $"an unmatched message waited {fast.TotalMilliseconds} ms");
        Assert.True(slow >= TimeSpan.FromMilliseconds(550), $"the matching message waited only {slow.TotalMilliseconds} ms");
        var messages = await app.MessagesUntilAsync((await app.SessionOfAsync(client)).Id, m => m.Length == 2, "both messages");
        Assert.Null(messages[0].Faults);
        Assert.Equal(["latency"], messages[1].Faults!);
    }

    [Fact]
    public async Task Tag_IsRecorded_AndFoundBySearch_AndInCaptureJsonAndPcapng()
    {
        await using var app = await GatewayApp.StartAsync();
        (await app.PostAsync("/api/listeners/tcp/rules", new { match = new { text = "ERROR" }, action = new { type = "tag", name = "error" }, @continue = true })).EnsureSuccessStatusCode();
        (await app.PostAsync("/api/listeners/tcp/rules", new { match = new { text = "ERROR" }, action = new { type = "reply", data = "ack\n" } })).EnsureSuccessStatusCode();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("ERROR disk full\n");
        Assert.Equal("ack\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(4))); // continue: the next rule saw it too
        await client.SendTextAsync("all good\n");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "three messages");

        var found = await app.GetAsync<WireMessage[]>($"/api/messages?tag=error&sessionId={session.Id}");
        var tagged = Assert.Single(found);
        Assert.Equal("ERROR disk full\n", Encoding.ASCII.GetString(tagged.Data));
        Assert.Equal(["error"], tagged.Tags!);
        Assert.Equal(["r1", "r2"], tagged.Rules!);
        Assert.Empty(await app.GetAsync<WireMessage[]>($"/api/messages?tag=err&sessionId={session.Id}"));

        var json = await app.Http.GetStringAsync($"/api/sessions/{session.Id}/capture.json").Within();
        Assert.Contains("\"tags\":[\"error\"]", json);
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "s.pcapng");
        await File.WriteAllBytesAsync(file, await app.Http.GetByteArrayAsync($"/api/sessions/{session.Id}/capture.pcapng").Within());
        var comments = await Tshark.RunAsync("-r", file, "-T", "fields", "-e", "frame.comment", "-Y", "frame.comment");
        Assert.Contains("tags: error; rules: r1, r2", comments);
    }

    [Theory]
    [InlineData("{\"match\":{\"regex\":\"(unclosed\"},\"action\":{\"type\":\"tag\",\"name\":\"x\"}}", "match.regex")]
    [InlineData("{\"match\":{\"hex\":\"zz\"},\"action\":{\"type\":\"tag\",\"name\":\"x\"}}", "match.hex")]
    [InlineData("{\"action\":{\"type\":\"explode\"}}", "action.type")]
    [InlineData("{\"action\":{\"type\":\"drop\"}}", "plain listener")]
    [InlineData("{\"direction\":\"out\",\"action\":{\"type\":\"tag\",\"name\":\"x\"}}", "direction")]
    [InlineData("{\"action\":{\"type\":\"reply\"}}", "action.data")]
    [InlineData("{\"action\":{\"type\":\"tag\",\"name\":\"\"}}", "action.name")]
    public async Task BadRule_400NamingTheField(string body, string expected)
    {
        await using var app = await GatewayApp.StartAsync();
        await ApiAssert.ProblemAsync(await app.PostJsonTextAsync("/api/listeners/tcp/rules", body), HttpStatusCode.BadRequest, expected);
        Assert.Empty(await app.GetAsync<WireRule[]>("/api/listeners/tcp/rules"));
    }

    [Fact]
    public async Task RegexThatTimesOut_DisablesItsRule_Visibly_TheSessionGoesOn()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Rules:RegexTimeoutMs"] = "20" });
        (await app.PostAsync("/api/listeners/tcp/rules", new { match = new { regex = "^(a+)+$" }, action = new { type = "reply", data = "matched" } })).EnsureSuccessStatusCode();
        (await app.PostAsync("/api/listeners/tcp/rules", new { match = new { text = "MARK" }, action = new { type = "reply", data = "marker" } })).EnsureSuccessStatusCode();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync(new string('a', 40) + "!");
        await Task.Yield();
        await client.SendTextAsync("MARK");
        Assert.Equal("marker", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(6)));
        var rules = await app.GetAsync<WireRule[]>("/api/listeners/tcp/rules");
        Assert.False(rules[0].Enabled);
        Assert.Contains("ms", rules[0].DisabledReason);
    }

    [Fact]
    public async Task RulesFromConfiguration_ApplyFromTheStart_AndListRemoveWorks()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Rules:0:Id"] = "hello",
            ["Gateway:Listeners:0:Rules:0:Match:Text"] = "HI",
            ["Gateway:Listeners:0:Rules:0:Action:Type"] = "reply",
            ["Gateway:Listeners:0:Rules:0:Action:Data"] = "HELLO\n",
        });
        using (var client = await app.ConnectTcpAsync())
        {
            await client.SendTextAsync("HI");
            Assert.Equal("HELLO\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(6)));
        }

        Assert.Equal("hello", Assert.Single(await app.GetAsync<WireRule[]>("/api/listeners/tcp/rules")).Id);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync("/api/listeners/tcp/rules/hello").Within()).StatusCode);
        Assert.Empty(await app.GetAsync<WireRule[]>("/api/listeners/tcp/rules"));
        await ApiAssert.ProblemAsync(await app.Http.DeleteAsync("/api/listeners/tcp/rules/hello").Within(), HttpStatusCode.NotFound);
    }
}
