using Gateway.Hubs;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Hubs;

public sealed class WatchScopeTests
{
    [Theory]
    [InlineData("*", "All", null, 0)]
    [InlineData(" listener:tcp ", "Listener", "tcp", 0)]
    [InlineData("Session:42", "Session", null, 42)]
    public void TryParse_Valid(string text, string kind, string? listener, long session)
    {
        Assert.True(WatchScope.TryParse(text, out var scope));
        Assert.Equal(new WatchScope(Enum.Parse<WatchScopeKind>(kind), listener, session), scope);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("**")]
    [InlineData("listener:")]
    [InlineData(":tcp")]
    [InlineData("session:x")]
    [InlineData("session:-1")]
    [InlineData("socket:1")]
    public void TryParse_Invalid(string? text) => Assert.False(WatchScope.TryParse(text, out _));

    [Fact]
    public void WatchSet_MatchesOnlyWhatIsWatched()
    {
        var inTcp = new TrafficMessage(1, 7, "tcp", Direction.In, DateTimeOffset.UtcNow, []);
        var inUdp = new TrafficMessage(2, 8, "udp", Direction.In, DateTimeOffset.UtcNow, []);

        var set = WatchSet.None.With(new WatchScope(WatchScopeKind.Session, null, 7));
        Assert.True(set.Matches(inTcp));
        Assert.False(set.Matches(inUdp));

        set = set.With(new WatchScope(WatchScopeKind.Listener, "UDP", 0));
        Assert.True(set.Matches(inUdp));

        set = set.Without(new WatchScope(WatchScopeKind.Session, null, 7)).Without(new WatchScope(WatchScopeKind.Listener, "udp", 0));
        Assert.False(set.Matches(inTcp) || set.Matches(inUdp));
        Assert.True(set.With(new WatchScope(WatchScopeKind.All, null, 0)).Matches(inUdp));
    }
}
