using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>dig through a relay to a real dnsmasq, over UDP and over TCP: questions and answers read as DNS.</summary>
public sealed class DnsDecodingTests
{
    [Theory]
    [InlineData("udp", "+notcp")]
    [InlineData("tcp", "+tcp")]
    public async Task Dig_ThroughARelay_QuestionAndAnswerSummarised(string protocol, string digTransport)
    {
        await using var app = await GatewayApp.StartAsync();
        await using var dnsmasq = await ServerProcess.DnsmasqAsync("/device.test/10.1.2.3");
        var relay = await app.CreateListenerAsync(new { name = "dns", protocol, port = 0, upstream = $"127.0.0.1:{dnsmasq.Port}", decoder = "dns" });

        var (code, output, error) = await Tool.RunAsync("dig", null, "@127.0.0.1", "-p", relay.Port.ToString(), digTransport, "+tries=1", "+time=5", "+short", "device.test", "A");
        Assert.True(code == 0 && output.Trim() == "10.1.2.3", output + error);

        var answer = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=device.test%20%E2%86%92")).FirstOrDefault() is { ValueKind: JsonValueKind.Object } m ? (object)m : null, "the answer's summary");
        var message = (JsonElement)answer;
        Assert.Equal("A device.test → 10.1.2.3", message.GetProperty("summary").GetString());
        Assert.Equal("out", message.GetProperty("direction").GetString());
        var query = await app.GetAsync<JsonElement[]>("/api/messages?summary=query%20A%20device.test");
        Assert.Contains(query, m => m.GetProperty("direction").GetString() == "in");

        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{message.GetProperty("sessionId").GetInt64()}/messages/{message.GetProperty("seq").GetInt64()}/decoded");
        var fields = decoded.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(protocol == "tcp", fields.ContainsKey("length")); // DNS over TCP carries its length in front
        Assert.Equal("device.test A", fields["questions"].GetProperty("children")[0].GetProperty("display").GetString());
        Assert.StartsWith("device.test A 10.1.2.3, ttl ", fields["answers"].GetProperty("children")[0].GetProperty("display").GetString());
    }
}
