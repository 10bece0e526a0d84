using System.Collections.Immutable;
using System.Text;
using Gateway.Listeners;
using Gateway.Pipeline;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Pipeline;

public sealed class RuleSetTests
{
    [Theory]
    [InlineData("{\"text\":\"PING\"}", "xxPINGxx", true)]
    [InlineData("{\"text\":\"PING\"}", "ping", false)]
    [InlineData("{\"hex\":\"00:ff\"}", "\u0001\u0000\u00ff", true)]
    [InlineData("{\"prefixHex\":\"0x4142\"}", "ABC", true)]
    [InlineData("{\"prefixHex\":\"42\"}", "ABC", false)]
    [InlineData("{\"regex\":\"^\\\\xff\\\\x00\"}", "\u00ff\u0000rest", true)]
    [InlineData("{\"text\":\"A\",\"prefixHex\":\"41\",\"regex\":\"C$\"}", "ABC", true)]
    [InlineData("{\"text\":\"A\",\"prefixHex\":\"42\"}", "ABC", false)]
    [InlineData("{}", "anything", true)]
    public void Match_EveryGivenFieldMustHold(string match, string latin1, bool expected)
    {
        var rules = Compile(Rule($"{{\"match\":{match},\"action\":{{\"type\":\"tag\",\"name\":\"t\"}}}}"));
        var outcome = rules.Evaluate(Direction.In, Encoding.Latin1.GetBytes(latin1));
        Assert.Equal(expected, outcome is not null);
    }

    [Fact]
    public void Reply_GroupsInsertTheMatchedBytes_LiteralsInTheirEncoding()
    {
        var rules = Compile(Rule("{\"match\":{\"regex\":\"^GET (\\\\S+) (\\\\d+)\"},\"action\":{\"type\":\"reply\",\"data\":\"$2 $$ $1 é\"}}"));
        var outcome = rules.Evaluate(Direction.In, Encoding.Latin1.GetBytes("GET /\u00e9t\u00e9 42"))!;
        var reply = Assert.Single(outcome.Replies!);
        Assert.Equal([.. "42 $ "u8.ToArray(), 0x2f, 0xe9, 0x74, 0xe9, .. " é"u8.ToArray()], reply.Payload);
        Assert.True(outcome.Drop); // on a relay, a reply stands in for the other side unless forward: true
    }

    [Fact]
    public void Continue_LetsLaterRulesSee_ReplaceRewritesForThem_FirstStopWins()
    {
        var rules = Compile(
            Rule("{\"match\":{\"text\":\"secret\"},\"action\":{\"type\":\"replace\",\"regex\":\"secret=\\\\w+\",\"with\":\"secret=***\"},\"continue\":true}"),
            Rule("{\"match\":{\"text\":\"***\"},\"action\":{\"type\":\"tag\",\"name\":\"redacted\"}}"),
            Rule("{\"action\":{\"type\":\"tag\",\"name\":\"never\"}}"));
        var outcome = rules.Evaluate(Direction.In, "a secret=hunter2 b"u8)!;
        Assert.Equal("a secret=*** b", Encoding.Latin1.GetString(outcome.Replaced!));
        Assert.Equal(["r1", "r2"], outcome.Fired);
        Assert.Equal(["redacted"], outcome.Tags!);
    }

    [Fact]
    public void DirectionAndDisabledRules_AreSkipped_HitsCounted()
    {
        var rules = Compile(
            Rule("{\"direction\":\"out\",\"action\":{\"type\":\"drop\"}}"),
            Rule("{\"enabled\":false,\"action\":{\"type\":\"drop\"}}"),
            Rule("{\"direction\":\"in\",\"action\":{\"type\":\"hold\"}}"));
        Assert.True(rules.Evaluate(Direction.In, "x"u8)!.Hold);
        Assert.True(rules.Evaluate(Direction.Out, "x"u8)!.Drop);
        Assert.Equal([1L, 0L, 1L], rules.Rules.Select(r => r.State.Hits));
    }

    [Fact]
    public void HexReplace_RewritesEveryOccurrence()
    {
        var rules = Compile(Rule("{\"action\":{\"type\":\"replace\",\"hex\":\"ff\",\"with\":\"00 00\"}}"));
        Assert.Equal(new byte[] { 1, 0, 0, 2, 0, 0 }, rules.Evaluate(Direction.In, [1, 0xff, 2, 0xff])!.Replaced);
    }

    [Fact]
    public void RegexTimeout_DisablesTheRule_AndSaysWhy()
    {
        var rules = Compile(TimeSpan.FromMilliseconds(5), Rule("{\"match\":{\"regex\":\"^(a+)+$\"},\"action\":{\"type\":\"drop\"}}"));
        string? reason = null;
        Assert.Null(rules.Evaluate(Direction.In, Encoding.ASCII.GetBytes(new string('a', 40) + "!"), (_, why) => reason = why));
        Assert.NotNull(reason);
        Assert.False(rules.Rules[0].IsActive);
        Assert.Null(rules.Evaluate(Direction.In, "aaa"u8)); // stays off
    }

    private static RuleSpec Rule(string json) => System.Text.Json.JsonSerializer.Deserialize<RuleSpec>(json, Infrastructure.GatewayApp.Json)!;

    private static RuleSet Compile(params RuleSpec[] specs) => Compile(TimeSpan.FromSeconds(1), specs);

    private static RuleSet Compile(TimeSpan timeout, params RuleSpec[] specs) =>
        new([.. specs.Select((s, i) => RuleCompiler.Compile(s, $"r{i + 1}", ListenerProtocol.Tcp, relay: true, new RuleState(), timeout, f => f))]);
}
