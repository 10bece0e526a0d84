using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Infrastructure;

/// <summary>The data plane without a web host, for unit tests of listeners, sessions and their stages.</summary>
internal static class TestDataPlane
{
    public static DataPlane Create(TrafficEventBus bus, IOptions<GatewayOptions> options) =>
        new(options, bus, new SessionRegistry(options), new TrafficTotals(), new Gateway.Intercept.HeldMessages(bus, TimeProvider.System, options),
            new Gateway.Capture.CaptureFeed(bus, options), NullLoggerFactory.Instance, TimeProvider.System);
}
