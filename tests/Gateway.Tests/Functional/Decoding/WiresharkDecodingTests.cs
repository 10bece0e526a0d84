using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>decoder "wireshark": tshark dissects the session's own pcapng and its reading is mapped back to the messages.</summary>
public sealed class WiresharkDecodingTests
{
    [Fact]
    public async Task MosquittoTraffic_ReadByWireshark_NamesTheTopic_LiveAndOverRest()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        await using var broker = await ServerProcess.MosquittoAsync(folder);
        // Not MQTT's own port, so tshark is told what the relay's port carries.
        var port = ServerProcess.FreeTcpPort();
        await app.CreateListenerAsync(new
        {
            name = "mqtt", protocol = "tcp", port, upstream = $"127.0.0.1:{broker.Port}",
            decoder = "wireshark", decodeAs = $"tcp.port=={port},mqtt", framing = new { type = "length", offset = 1, width = "varint" },
        });

        var (code, output, error) = await Tool.RunAsync("mosquitto_pub", null, "-V", "mqttv5", "-h", "127.0.0.1", "-p", port.ToString(), "-i", "pub1", "-t", "sensors/temp", "-q", "1", "-m", "21.5");
        Assert.True(code == 0, output + error);

        // Live: the worker's summary is tshark's Info column, stored and searchable like any decoder's.
        var found = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=%5Bsensors/temp%5D")).FirstOrDefault() is { ValueKind: JsonValueKind.Object } m ? (object)m : null,
            "Wireshark's summary of the PUBLISH");
        var publish = (JsonElement)found;
        Assert.Equal("Publish Message (id=1) [sensors/temp]", publish.GetProperty("summary").GetString());
        var session = publish.GetProperty("sessionId").GetInt64();
        var all = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>($"/api/sessions/{session}/messages")) is { Length: 5 } five && five.All(m => m.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String) ? five : null,
            "five summarised packets");
        Assert.Equal(["Connect Command", "Connect Ack", "Publish Message (id=1) [sensors/temp]", "Publish Ack (id=1)", "Disconnect Req"],
            all.Select(m => m.GetProperty("summary").GetString()));

        // Over REST: Wireshark's tree, with offsets into the message: the topic field covers the topic's bytes.
        var seq = publish.GetProperty("seq").GetInt64();
        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{session}/messages/{seq}/decoded");
        Assert.Equal("wireshark", decoded.GetProperty("decoder").GetString());
        var mqtt = decoded.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "mqtt");
        var topic = mqtt.GetProperty("children").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "mqtt.topic");
        Assert.Equal("sensors/temp", topic.GetProperty("display").GetString());
        var bytes = Convert.FromBase64String(publish.GetProperty("data").GetString()!);
        Assert.Equal("sensors/temp", Encoding.UTF8.GetString(bytes, topic.GetProperty("offset").GetInt32(), topic.GetProperty("length").GetInt32()));
        var qos = mqtt.GetProperty("children").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "mqtt.hdrflags")
            .GetProperty("children").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "mqtt.qos");
        Assert.Equal(("1", 0, 1), (qos.GetProperty("display").GetString(), qos.GetProperty("offset").GetInt32(), qos.GetProperty("length").GetInt32()));

        // Without the Decode As rule, tshark does not know the port: the reading says so rather than guessing.
        var undecided = await app.GetAsync<JsonElement>($"/api/sessions/{session}/messages/{seq}/decoded?decoder=wireshark&decodeAs=tcp.port==1,mqtt");
        Assert.StartsWith("23 B, no Wireshark dissector took it", undecided.GetProperty("summary").GetString());
        var stats = await app.GetAsync<JsonElement>("/api/stats");
        Assert.True(stats.GetProperty("decoding").GetProperty("wireshark").GetProperty("available").GetBoolean());
        Assert.True(stats.GetProperty("decoding").GetProperty("wireshark").GetProperty("decoded").GetInt64() >= 5);
    }

    [Fact]
    public async Task BadDecodeAs_Is400_AndAMissingTshark_Is501()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Decoding:Tshark"] = "/nonexistent/tshark" });
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("hello");
        var session = await app.SessionOfAsync(client);
        var message = (await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the message"))[0];

        var missing = await app.Http.GetAsync($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded?decoder=wireshark").Within();
        Assert.Equal(HttpStatusCode.NotImplemented, missing.StatusCode);
        var problem = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("tshark", problem.GetProperty("detail").GetString());

        var bad = await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/decoder", new { decoder = "wireshark", decodeAs = "tcp.port==1883,mqtt -o x" }, GatewayApp.Json).Within();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Decode As", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var listener = await app.PostAsync("/api/listeners", new { name = "w", protocol = "tcp", port = 0, decoder = "wireshark", decodeAs = "mqtt" });
        Assert.Equal(HttpStatusCode.BadRequest, listener.StatusCode);

        // Chosen anyway, its sessions go without summaries and the skip is counted.
        (await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/decoder", new { decoder = "wireshark" }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        await client.SendTextAsync("again");
        await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement>("/api/stats")).GetProperty("decoding").GetProperty("wireshark").GetProperty("skipped").GetInt64() > 0 ? (object)true : null,
            "the counted skip");
    }
}
