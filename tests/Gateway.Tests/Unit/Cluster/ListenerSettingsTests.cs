using System.Text.Json;
using Gateway.Cluster;
using Gateway.Faults;
using Gateway.Pipeline;

namespace Gateway.Tests.Unit.Cluster;

/// <summary>A listener's shared settings go between nodes as JSON: what one node stores, another reads back whole.</summary>
public sealed class ListenerSettingsTests
{
    [Fact]
    public void Settings_RoundTripThroughTheClustersJson_RulesFaultsDecoderAndLayoutIntact()
    {
        var settings = new ListenerSettings(
            [
                new RuleSpec
                {
                    Id = "intercept", Name = "interception", Direction = "in", Enabled = true,
                    Match = new MatchSpec { Hex = "0d0a" }, Action = new ActionSpec { Type = "hold" },
                },
                new RuleSpec
                {
                    Id = "r7", Continue = true, Match = new MatchSpec { Regex = "^PING(.*)" },
                    Action = new ActionSpec { Type = "reply", Data = "PONG$1", Encoding = "utf8", DelayMs = 5 },
                },
            ],
            [new FaultInfo("f3", FaultType.Latency, "out", 0.5, Ms: 300, JitterMs: 20), new FaultInfo("f4", FaultType.LimitData, "both", 1, Bytes: 1 << 20)],
            new Gateway.Decoding.DecoderChoice("resp", "tcp.port==6379,resp"),
            "meta:\n  id: x\n");

        var json = JsonSerializer.Serialize(settings, ClusterJson.Options);
        var back = JsonSerializer.Deserialize<ListenerSettings>(json, ClusterJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, ClusterJson.Options));
        Assert.Equal(["intercept", "r7"], back.Rules.Select(r => r.Id));
        Assert.Equal(("hold", "0d0a"), (back.Rules[0].Action!.Type, back.Rules[0].Match!.Hex));
        Assert.Equal(settings.Faults, back.Faults);
        Assert.Equal(settings.Decoder, back.Decoder);
        Assert.Equal(settings.Layout, back.Layout);
    }

    [Fact]
    public void NoSettings_ReadBackAsNone()
    {
        var back = JsonSerializer.Deserialize<ListenerSettings>(JsonSerializer.Serialize(new ListenerSettings([], [], null, null), ClusterJson.Options), ClusterJson.Options)!;
        Assert.Empty(back.Rules);
        Assert.Empty(back.Faults);
        Assert.Null(back.Decoder);
        Assert.Null(back.Layout);
    }
}
