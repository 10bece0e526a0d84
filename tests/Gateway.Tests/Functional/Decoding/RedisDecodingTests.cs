using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>redis-cli through a relay to a real redis-server: commands and replies read as RESP.</summary>
public sealed class RedisDecodingTests
{
    [Theory]
    [InlineData("resp")]
    [InlineData("auto")] // recognises RESP by its type bytes (the relay's ports are not 6379)
    public async Task RedisCli_ThroughARelay_CommandAndReplySummarised_KeyNamed(string decoder)
    {
        await using var app = await GatewayApp.StartAsync();
        await using var redis = await ServerProcess.RedisAsync();
        var relay = await app.CreateListenerAsync(new { name = "redis", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{redis.Port}", decoder });

        var (code, output, error) = await Tool.RunAsync("redis-cli", null, "-h", "127.0.0.1", "-p", relay.Port.ToString(), "SET", "user:1", "alice");
        Assert.True(code == 0 && output.Trim() == "OK", output + error);
        (code, output, error) = await Tool.RunAsync("redis-cli", null, "-h", "127.0.0.1", "-p", relay.Port.ToString(), "LRANGE", "nothing", "0", "-1");
        Assert.True(code == 0, error);

        var sessions = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).Where(s => s.ListenerId == "redis").ToArray() is { Length: 2 } both ? both : null, "both sessions");
        var set = sessions.OrderBy(s => s.Id).First();
        var messages = await app.MessagesUntilAsync(set.Id, m => m.Any(x => x.Direction == "out"), "the command and its reply");

        var command = await app.GetAsync<JsonElement>($"/api/sessions/{set.Id}/messages/{messages.First(m => m.Direction == "in").Seq}/decoded");
        Assert.Equal("SET user:1 \"alice\"", command.GetProperty("summary").GetString());
        Assert.Equal("resp", command.GetProperty("decoder").GetString());
        Assert.Equal("user:1", command.GetProperty("fields")[0].GetProperty("children")[1].GetProperty("display").GetString());
        var reply = await app.GetAsync<JsonElement>($"/api/sessions/{set.Id}/messages/{messages.First(m => m.Direction == "out").Seq}/decoded");
        Assert.Equal("OK", reply.GetProperty("summary").GetString());

        // Summaries are stored and searchable: the second client's command is found by its summary.
        var found = await Timeouts.Eventually(async () =>
            (await app.GetAsync<JsonElement[]>("/api/messages?summary=LRANGE%20nothing")).Length == 1 ? (object)true : null, "the LRANGE summary");
        Assert.Equal(true, found);
    }
}
