using Gateway.Api;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Api;

public sealed class DiffTests
{
    [Theory]
    [InlineData("hello", "hello", "")]
    [InlineData("hello", "hallo", "1+1")]
    [InlineData("abcdef", "xbcdyf", "0+1 4+1")]
    [InlineData("abc", "abcde", "3+2")]
    [InlineData("abcde", "axc", "1+1 3+2")]
    [InlineData("", "ab", "0+2")]
    public void Differences_AreRunsOfDifferingBytes_AndTheLongerTail(string a, string b, string expected)
    {
        var ranges = DiffEndpoints.Differences(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));
        Assert.Equal(expected, string.Join(' ', ranges.Select(r => $"{r.Offset}+{r.Length}")));
    }

    [Fact]
    public void Align_PairsTheKthMessageOfEachDirection_ThenWhatOnlyTheSecondHas()
    {
        var a = new[] { M(1, Direction.In, "GET"), M(2, Direction.Out, "200"), M(3, Direction.In, "BYE") };
        var b = new[] { M(11, Direction.In, "GET"), M(12, Direction.In, "BYF"), M(13, Direction.Out, "404"), M(14, Direction.Out, "extra") };
        var pairs = DiffEndpoints.Align(a, b);
        Assert.Equal(
            ["in 1~11 equal", "out 2~13 0+1 2+1", "in 3~12 2+1", "out -~14"],
            pairs.Select(p => $"{p.Direction.ToString().ToLowerInvariant()} {p.A?.ToString() ?? "-"}~{p.B?.ToString() ?? "-"}"
                + (p.Equal ? " equal" : p.Ranges.Count > 0 ? " " + string.Join(' ', p.Ranges.Select(r => $"{r.Offset}+{r.Length}")) : "")));
    }

    private static MessageInfo M(long seq, Direction direction, string text)
    {
        var data = System.Text.Encoding.ASCII.GetBytes(text);
        return new MessageInfo(seq, 1, "tcp", direction, DateTimeOffset.UtcNow, data.Length, data, false);
    }
}
