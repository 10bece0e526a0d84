using Gateway.Listeners;
using Gateway.Sessions;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>
/// Once a second, the traffic counters to every hub client (<c>counters</c>): the gateway's bytes and messages
/// each way and each listener's bytes, cumulative (a chart takes differences). One small event per second
/// whatever the traffic, read from counters the data plane keeps anyway: charts need no polling, and the
/// data plane does nothing for them.
/// </summary>
internal sealed class CountersFeed(IHubContext<TrafficHub> hub, DataPlane plane, ListenerManager listeners, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(Every, time);
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var totals = plane.Totals;
                var counters = new Counters(time.GetUtcNow(), totals.BytesIn, totals.BytesOut, totals.MessagesIn, totals.MessagesOut, plane.Sessions.OpenCount,
                    listeners.Listeners.Select(l => l.Snapshot()).Select(l => new ListenerCounters(l.Id, l.BytesIn, l.BytesOut, l.Sessions)).ToArray());
                await hub.Clients.All.SendAsync(HubEvents.Counters, counters, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <summary>The <c>counters</c> event: cumulative totals at <paramref name="At"/>.</summary>
public sealed record Counters(DateTimeOffset At, long BytesIn, long BytesOut, long MessagesIn, long MessagesOut, int SessionsOpen, IReadOnlyList<ListenerCounters> Listeners);

/// <summary>One listener's cumulative bytes and its open sessions.</summary>
public sealed record ListenerCounters(string Id, long BytesIn, long BytesOut, int Sessions);
