using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>Captured messages read as their protocol, over the API.</summary>
public sealed class DecodingTests
{
    [Fact]
    public async Task ListenerDecoder_ReadsACapturedCommand_SessionOverrideAndQueryWin()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "redis", protocol = "tcp", port = 0, decoder = "resp" });
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nalice\r\n");
        var session = await app.SessionOfAsync(client);
        var message = (await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the command"))[0];

        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded");
        Assert.Equal("resp", decoded.GetProperty("decoder").GetString());
        Assert.Equal("SET user:1 \"alice\"", decoded.GetProperty("summary").GetString());
        var array = decoded.GetProperty("fields")[0];
        Assert.Equal(("array", 0), (array.GetProperty("name").GetString(), array.GetProperty("offset").GetInt32()));
        Assert.Equal("user:1", array.GetProperty("children")[1].GetProperty("display").GetString());
        Assert.Equal("resp", (await app.GetAsync<JsonElement>("/api/listeners/redis")).GetProperty("decoder").GetString());

        // The session's own choice beats its listener's, and the request's beats both: a RESP command is no Modbus ADU.
        (await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/decoder", new { decoder = "modbus" }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        Assert.Equal("modbus", (await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/decoder")).GetProperty("decoder").GetString());
        Assert.Equal(["auto", "dns", "http", "json", "modbus", "mqtt", "msgpack", "protobuf", "resp", "wireshark", "layout"], await app.GetAsync<string[]>("/api/decoders"));
        var asModbus = await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded");
        Assert.Equal("modbus", asModbus.GetProperty("decoder").GetString());
        var modbusFields = asModbus.GetProperty("fields");
        Assert.Equal("error", modbusFields[modbusFields.GetArrayLength() - 1].GetProperty("name").GetString());
        Assert.Equal("resp", (await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded?decoder=resp")).GetProperty("decoder").GetString());
    }

    [Fact]
    public async Task Summaries_MadeOffTheDataPlane_ReachWatchers_AreStored_AndSearched()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "redis", protocol = "tcp", port = 0, decoder = "resp" });
        await using var hub = await app.ConnectHubAsync();
        var summaries = System.Threading.Channels.Channel.CreateUnbounded<(long Seq, string Summary)>();
        hub.On<JsonElement>("decoded", e => summaries.Writer.TryWrite((e.GetProperty("seq").GetInt64(), e.GetProperty("summary").GetString()!)));
        await hub.InvokeAsync("Watch", "listener:redis").Within();

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nalice\r\n");
        var (seq, summary) = await summaries.Reader.ReadAsync().AsTask().Within();
        Assert.Equal("SET user:1 \"alice\"", summary);

        var found = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=set%20user:1")).FirstOrDefault() is { ValueKind: JsonValueKind.Object } m ? (object)m : null, "the stored summary");
        var stored = (JsonElement)found;
        Assert.Equal(seq, stored.GetProperty("seq").GetInt64());
        Assert.Equal(summary, stored.GetProperty("summary").GetString());
        Assert.Empty(await app.GetAsync<JsonElement[]>("/api/messages?summary=GET%20user"));
        var stats = (await app.GetAsync<JsonElement>("/api/stats")).GetProperty("decoding");
        Assert.True(stats.GetProperty("decoded").GetInt64() >= 1);
        Assert.Equal(0, stats.GetProperty("skipped").GetInt64());
    }

    [Fact]
    public async Task JsonLines_FromARealSocket_EachDecodedAndSummarised()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "feed", protocol = "tcp", port = 0, framing = "line", decoder = "json" });
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("{\"op\": \"sub\", \"ch\": [\"trades\"]}\n{\"op\": \"unsub\"\n");
        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 2, "two lines");

        var first = await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages/{messages[0].Seq}/decoded");
        Assert.Equal("{\"op\":\"sub\",\"ch\":[\"trades\"]}", first.GetProperty("summary").GetString());
        var channels = first.GetProperty("fields")[0].GetProperty("children")[1];
        Assert.Equal(("ch", "array, 1 element"), (channels.GetProperty("name").GetString(), channels.GetProperty("display").GetString()));

        var second = await app.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages/{messages[1].Seq}/decoded");
        Assert.StartsWith("(not json: ", second.GetProperty("summary").GetString());
        var fields = second.GetProperty("fields");
        Assert.Equal("error", fields[fields.GetArrayLength() - 1].GetProperty("name").GetString());

        var found = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=%22op%22:%22sub%22")).Length == 1 ? (object)true : null, "the stored json summary");
        Assert.Equal(true, found);
    }

    [Fact]
    public async Task BadChoicesAndMissingMessages_AreProblems()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("hello");
        var session = await app.SessionOfAsync(client);
        var message = (await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "a message"))[0];

        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded").Within(), HttpStatusCode.BadRequest, "no decoder");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded?decoder=x509").Within(), HttpStatusCode.BadRequest, "msgpack, protobuf, resp, wireshark, layout");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/sessions/{session.Id}/messages/{message.Seq + 1000}/decoded?decoder=resp").Within(), HttpStatusCode.NotFound);
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/decoder", new { decoder = "x509" }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "x509");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync("/api/sessions/999999/decoder", new { decoder = "resp" }, GatewayApp.Json).Within(), HttpStatusCode.NotFound);
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "bad", protocol = "tcp", port = 0, decoder = "x509" }), HttpStatusCode.BadRequest, "decoder");
    }

    [Fact]
    public async Task ListenerLayout_PutGetDelete_AndWhatCannotBeALayoutIs400()
    {
        await using var app = await GatewayApp.StartAsync();
        await app.CreateListenerAsync(new { name = "frames", protocol = "tcp", port = 0, decoder = "layout" });
        const string ksy = "meta:\n  id: frame\nseq:\n  - id: kind\n    type: u1\n";
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/listeners/frames/layout").Within(), HttpStatusCode.NotFound, "no layout");

        var put = await app.Http.PutAsync("/api/listeners/frames/layout", new StringContent(ksy, System.Text.Encoding.UTF8, "application/yaml")).Within();
        put.EnsureSuccessStatusCode();
        Assert.Equal(ksy, await app.Http.GetStringAsync("/api/listeners/frames/layout").Within());
        Assert.True((await app.GetAsync<JsonElement>("/api/listeners/frames")).GetProperty("hasLayout").GetBoolean());
        (await app.Http.PutAsJsonAsync("/api/listeners/frames/layout", new { layout = ksy.Replace("frame", "frame2") }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        Assert.Contains("id: frame2", await app.Http.GetStringAsync("/api/listeners/frames/layout").Within());

        await ApiAssert.ProblemAsync(await app.Http.PutAsync("/api/listeners/frames/layout", new StringContent("seq: []\n", System.Text.Encoding.UTF8, "text/plain")).Within(), HttpStatusCode.BadRequest, "meta:");
        await ApiAssert.ProblemAsync(await app.Http.PutAsync("/api/listeners/frames/layout", new StringContent("meta:\n" + new string('#', 300 * 1024), System.Text.Encoding.UTF8, "text/plain")).Within(), HttpStatusCode.RequestEntityTooLarge);
        await ApiAssert.ProblemAsync(await app.Http.PutAsync("/api/listeners/nope/layout", new StringContent(ksy)).Within(), HttpStatusCode.NotFound);
        Assert.Contains("id: frame2", await app.Http.GetStringAsync("/api/listeners/frames/layout").Within()); // the refused ones changed nothing

        // The server does not run layouts: asking it to is a clear 400 that says where they run.
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("x");
        var session = await app.SessionOfAsync(client);
        var message = (await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "a message"))[0];
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded?decoder=layout").Within(), HttpStatusCode.BadRequest, "dashboard");

        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync("/api/listeners/frames/layout").Within()).StatusCode);
        Assert.False((await app.GetAsync<JsonElement>("/api/listeners/frames")).GetProperty("hasLayout").GetBoolean());
    }

    [Fact]
    public async Task Hub_SetsASessionsDecoder_AndReadsAMessage_BadChoicesAreHubErrors()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n");
        var session = await app.SessionOfAsync(client);
        var message = (await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the command"))[0];
        await using var hub = await app.ConnectHubAsync();

        var choice = await hub.InvokeAsync<JsonElement>("SetDecoder", session.Id, "RESP", null).Within();
        Assert.Equal("resp", choice.GetProperty("decoder").GetString());
        var decoded = await hub.InvokeAsync<JsonElement>("Decode", session.Id, message.Seq, null).Within();
        Assert.Equal(("resp", "GET user:1"), (decoded.GetProperty("decoder").GetString(), decoded.GetProperty("summary").GetString()));
        var asJson = await hub.InvokeAsync<JsonElement>("Decode", session.Id, message.Seq, "json").Within();
        Assert.Equal("error", asJson.GetProperty("fields")[asJson.GetProperty("fields").GetArrayLength() - 1].GetProperty("name").GetString());

        var bad = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => hub.InvokeAsync<JsonElement>("SetDecoder", session.Id, "x509", null).Within());
        Assert.Contains("x509", bad.Message);
        var missing = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => hub.InvokeAsync<JsonElement>("Decode", session.Id, message.Seq + 1000, null).Within());
        Assert.Contains("no captured message", missing.Message);
    }

    [Fact]
    public async Task ListenerDecoder_ChangedAtRuntime_ReadsTheNextMessages_SessionChoicesStay()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "later", protocol = "tcp", port = 0 });
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("+before\r\n");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the first message");

        var set = await app.Http.PutAsJsonAsync("/api/listeners/later/decoder", new { decoder = "Resp" }, GatewayApp.Json).Within();
        Assert.Equal("resp", (await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("decoder").GetString());
        Assert.Equal("resp", (await app.GetAsync<JsonElement>("/api/listeners/later")).GetProperty("decoder").GetString());
        await client.SendTextAsync("+after\r\n");
        var messages = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>($"/api/sessions/{session.Id}/messages")) is { Length: 2 } two && two[1].TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String ? two : null,
            "the second message summarised");
        Assert.Equal("after", messages[1].GetProperty("summary").GetString());
        Assert.False(messages[0].TryGetProperty("summary", out var first) && first.ValueKind == JsonValueKind.String); // read before the choice: no summary made up later

        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync("/api/listeners/later/decoder", new { decoder = "x509" }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "x509");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync("/api/listeners/later/decoder", new { decoder = "wireshark", decodeAs = "tcp.port=1" }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "Decode As");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync("/api/listeners/nope/decoder", new { decoder = "resp" }, GatewayApp.Json).Within(), HttpStatusCode.NotFound);
        Assert.Equal("resp", (await app.GetAsync<JsonElement>("/api/listeners/later")).GetProperty("decoder").GetString()); // refusals changed nothing

        (await app.Http.PutAsJsonAsync("/api/listeners/later/decoder", new { decoder = "wireshark", decodeAs = "tcp.port==7000,mqtt" }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        var shown = await app.GetAsync<JsonElement>("/api/listeners/later");
        Assert.Equal(("wireshark", "tcp.port==7000,mqtt"), (shown.GetProperty("decoder").GetString(), shown.GetProperty("decodeAs").GetString()));
        (await app.Http.PutAsJsonAsync("/api/listeners/later/decoder", new { decoder = (string?)null }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        Assert.Equal(JsonValueKind.Null, (await app.GetAsync<JsonElement>("/api/listeners/later")).GetProperty("decoder").ValueKind);
    }
}
