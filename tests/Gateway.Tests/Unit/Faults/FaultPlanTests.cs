using System.Collections.Immutable;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Faults;

public sealed class FaultPlanTests
{
    [Fact]
    public void Latency_WithExtremeFields_ComputesIn64BitsWithoutThrowing()
    {
        var fault = new FaultInfo("f1", FaultType.Latency, "both", 1, Ms: int.MaxValue, JitterMs: int.MaxValue);
        for (var i = 0; i < 100; i++)
        {
            var plan = FaultPlan.For([fault], Direction.In);
            Assert.InRange(plan.Delay, TimeSpan.Zero, TimeSpan.FromMilliseconds(2.0 * int.MaxValue));
        }
    }

    [Fact]
    public void Slicer_WithExtremeVariation_CutsEveryByteOnce()
    {
        var fault = new FaultInfo("f1", FaultType.Slicer, "both", 1, AverageSize: int.MaxValue, SizeVariation: int.MaxValue - 1);
        var payload = new byte[1000];
        Assert.Equal(1000, FaultPlan.For([fault], Direction.In).Slices(payload).Sum(s => s.Length));
    }

    [Theory]
    [InlineData("{\"type\":\"latency\",\"ms\":10,\"jitterMs\":2147483647}", "jitterMs")]
    [InlineData("{\"type\":\"latency\",\"ms\":2147483647}", "ms")]
    [InlineData("{\"type\":\"bandwidth\",\"kbps\":2147483647}", "kbps")]
    [InlineData("{\"type\":\"slicer\",\"averageSize\":10,\"delayUs\":2147483647}", "delayUs")]
    [InlineData("{\"type\":\"resetPeer\",\"afterMs\":2147483647}", "afterMs")]
    [InlineData("{\"type\":\"timeout\",\"ms\":2147483647}", "ms")]
    public void Parse_FieldsPastTheirBounds_400NamingTheField(string json, string field)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<FaultRequest>(json, Infrastructure.GatewayApp.Json)!;
        var error = Assert.Throws<CommandException>(() => FaultRules.Parse("f1", request, ListenerProtocol.Tcp));
        Assert.Equal(400, error.StatusCode);
        Assert.StartsWith(field + " ", error.Message);
    }
}
