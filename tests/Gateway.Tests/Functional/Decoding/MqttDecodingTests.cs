using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>mosquitto_pub and mosquitto_sub through a relay to a real mosquitto: packets read as MQTT.</summary>
public sealed class MqttDecodingTests
{
    [Fact]
    public async Task MosquittoClients_ThroughARelay_PublishAndSubscribeSummarised()
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

        var subscriber = Tool.RunAsync("mosquitto_sub", null, "-h", "127.0.0.1", "-p", port, "-i", "sub1", "-t", "sensors/#", "-q", "1", "-C", "1", "-W", "20");
        // The subscriber is ready once its SUBSCRIBE went through: the decoder says so.
        await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=SUBACK")).Length > 0 ? (object)true : null, "the subscriber's SUBACK");
        var (code, output, error) = await Tool.RunAsync("mosquitto_pub", null, "-h", "127.0.0.1", "-p", port, "-i", "pub1", "-t", "sensors/temp", "-q", "1", "-m", "21.5");
        Assert.True(code == 0, output + error);
        (code, output, error) = await subscriber.Within(TimeSpan.FromSeconds(25));
        Assert.True(code == 0 && output.Trim() == "21.5", output + error);

        var publish = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=PUBLISH%20sensors/temp")).FirstOrDefault(m => m.GetProperty("direction").GetString() == "in") is { ValueKind: JsonValueKind.Object } m ? (object)m : null, "the PUBLISH");
        var message = (JsonElement)publish;
        Assert.Equal("PUBLISH sensors/temp QoS1 4 B", message.GetProperty("summary").GetString());
        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{message.GetProperty("sessionId").GetInt64()}/messages/{message.GetProperty("seq").GetInt64()}/decoded");
        var names = decoded.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToArray();
        Assert.Contains("topic", names);
        var connect = await app.GetAsync<JsonElement[]>("/api/messages?summary=CONNECT%20pub1");
        Assert.Contains(connect, m => m.GetProperty("summary").GetString()!.StartsWith("CONNECT pub1 MQTT v3.1.1", StringComparison.Ordinal));
    }
}
