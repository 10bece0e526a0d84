using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>mbpoll through a relay to pymodbus's server: requests and responses read as Modbus/TCP.</summary>
public sealed class ModbusDecodingTests
{
    [Fact]
    public async Task Mbpoll_ThroughARelay_ReadsWritesAndAnException_Summarised()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        await using var server = await ServerProcess.PymodbusAsync(folder, 10, 20, 30, 40, 50);
        var relay = await app.CreateListenerAsync(new { name = "plc", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", decoder = "modbus" });
        string[] target = ["-m", "tcp", "-a", "1", "-t", "4", "-p", relay.Port.ToString(), "127.0.0.1"];

        // Read 5 holding registers from address 0 (mbpoll counts references from 1), write 99 to address 2, read past the end.
        var (code, output, error) = await Tool.RunAsync("mbpoll", null, [.. target, "-r", "1", "-c", "5", "-1"]);
        Assert.True(code == 0 && output.Contains("[5]: \t50"), output + error);
        (code, output, error) = await Tool.RunAsync("mbpoll", null, [.. target, "-r", "3", "99"]);
        Assert.True(code == 0 && output.Contains("Written 1 references"), output + error);
        (_, output, error) = await Tool.RunAsync("mbpoll", null, [.. target, "-r", "200", "-c", "2", "-1"]);
        Assert.Contains("Illegal data address", output + error);

        var summaries = await Timeouts.Eventually(async () =>
        {
            var all = await app.GetAsync<JsonElement[]>("/api/messages?listenerId=plc");
            return all.Length >= 6 && all.All(m => m.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String)
                ? all.Select(m => $"{m.GetProperty("direction").GetString()} {m.GetProperty("summary").GetString()}").ToArray()
                : null;
        }, "six summarised messages");
        Assert.Contains("in Read Holding Registers unit 1 addr 0 ×5", summaries);
        Assert.Contains("out Read Holding Registers unit 1 → 5 registers: 10, 20, 30, 40, 50", summaries);
        Assert.Contains(summaries, s => s.StartsWith("in Write ", StringComparison.Ordinal) && s.Contains("addr 2") && s.Contains("99"));
        Assert.Contains("in Read Holding Registers unit 1 addr 199 ×2", summaries);
        Assert.Contains("out Exception Illegal Data Address (Read Holding Registers) unit 1", summaries);

        // The response's tree names the function and each register value, with its bytes.
        var response = (await app.GetAsync<JsonElement[]>("/api/messages?listenerId=plc&summary=10,%2020"))[0];
        var decoded = await app.GetAsync<JsonElement>($"/api/sessions/{response.GetProperty("sessionId").GetInt64()}/messages/{response.GetProperty("seq").GetInt64()}/decoded");
        var names = Flatten(decoded.GetProperty("fields")).Select(f => $"{f.GetProperty("name").GetString()}={f.GetProperty("display").GetString()}").ToArray();
        Assert.Contains(names, n => n.StartsWith("function=3", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("=50", StringComparison.Ordinal));
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement fields) =>
        fields.EnumerateArray().SelectMany(f => new[] { f }.Concat(Flatten(f.GetProperty("children"))));
}
