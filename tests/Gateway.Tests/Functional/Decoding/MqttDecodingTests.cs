using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>mosquitto_pub and mosquitto_sub through a relay to a real mosquitto: packets read as MQTT.</summary>
public sealed class MqttDecodingTests
{
    [Theory]
    [InlineData("mqttv311", "v3.1.1")]
    [InlineData("mqttv5", "v5")]
    public async Task MosquittoClients_ThroughARelay_PublishAndSubscribeSummarised(string version, string shown)
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        await using var broker = await ServerProcess.MosquittoAsync(folder);
        // MQTT's own length (a varint after the first byte) frames each packet as one message.
        var relay = await app.CreateListenerAsync(new
        {
            name = "mqtt", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{broker.Port}", decoder = "mqtt",
            framing = new { type = "length", offset = 1, width = "varint" },
        });
        var port = relay.Port.ToString();

        var subscriber = Tool.RunAsync("mosquitto_sub", null, "-V", version, "-h", "127.0.0.1", "-p", port, "-i", "sub1", "-t", "sensors/#", "-q", "1", "-C", "1", "-W", "20");
        // The subscriber is ready once its SUBSCRIBE went through: the decoder says so.
        await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=SUBACK")).Length > 0 ? (object)true : null, "the subscriber's SUBACK");
        string[] v5Properties = version == "mqttv5" ? ["-D", "publish", "content-type", "text/plain", "-D", "publish", "user-property", "site", "lab"] : [];
        var (code, output, error) = await Tool.RunAsync("mosquitto_pub", null, ["-V", version, "-h", "127.0.0.1", "-p", port, "-i", "pub1", "-t", "sensors/temp", "-q", "1", "-m", "21.5", .. v5Properties]);
        Assert.True(code == 0, output + error);
        (code, output, error) = await subscriber.Within(TimeSpan.FromSeconds(25));
        Assert.True(code == 0 && output.Trim() == "21.5", output + error);

        var publish = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=PUBLISH%20sensors/temp")).FirstOrDefault(m => m.GetProperty("direction").GetString() == "in") is { ValueKind: JsonValueKind.Object } m ? (object)m : null, "the PUBLISH");
        var message = (JsonElement)publish;
        Assert.Equal("PUBLISH sensors/temp QoS1 4 B", message.GetProperty("summary").GetString());
        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{message.GetProperty("sessionId").GetInt64()}/messages/{message.GetProperty("seq").GetInt64()}/decoded");
        var fields = decoded.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal("sensors/temp", fields["topic"].GetProperty("display").GetString());
        Assert.Equal("21.5", fields["payload"].GetProperty("display").GetString());
        if (version == "mqttv5")
        {
            // Read with MQTT 5's properties because the session's CONNECT said 5: by the worker (the summary) and by the API.
            var properties = fields["properties"].GetProperty("children").EnumerateArray()
                .Select(p => $"{p.GetProperty("name").GetString()}: {p.GetProperty("display").GetString()}").ToArray();
            Assert.Contains("content type: text/plain", properties);
            Assert.Contains("user property: site = lab", properties);
        }
        else
        {
            Assert.False(fields.ContainsKey("properties"));
        }

        // Every packet of the publisher's session, both ways, read whole (CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT).
        var session = message.GetProperty("sessionId").GetInt64();
        var all = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>($"/api/sessions/{session}/messages")) is { Length: 5 } five && five.All(m => m.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String) ? five : null,
            "five summarised packets");
        Assert.Equal(["CONNECT", "CONNACK", "PUBLISH", "PUBACK", "DISCONNECT"], all.Select(m => m.GetProperty("summary").GetString()!.Split(' ')[0]));

        var connect = await app.GetAsync<JsonElement[]>("/api/messages?summary=CONNECT%20pub1");
        Assert.Contains(connect, m => m.GetProperty("summary").GetString()!.StartsWith($"CONNECT pub1 MQTT {shown}", StringComparison.Ordinal));
    }
}
