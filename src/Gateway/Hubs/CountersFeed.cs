using Gateway.Listeners;
using Gateway.Sessions;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>
/// Once a second, the traffic counters to every hub client (<c>counters</c>): the gateway's bytes and messages
/// each way, each listener's bytes, and the bytes of the open sessions that client watches one by one
/// (<c>session:{id}</c>, at most <see cref="MaxSessions"/>), all cumulative (a chart takes differences). One small
/// event per second whatever the traffic, read from counters the data plane keeps anyway: charts need no
/// polling, and the data plane does nothing for them.
/// </summary>
internal sealed class CountersFeed(IHubContext<TrafficHub> hub, DataPlane plane, ListenerManager listeners, TrafficBroadcaster broadcaster, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    /// <summary>Sessions one client's event carries at most.</summary>
    public const int MaxSessions = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(Every, time);
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var totals = plane.Totals;
                var counters = new Counters(time.GetUtcNow(), totals.BytesIn, totals.BytesOut, totals.MessagesIn, totals.MessagesOut, plane.Sessions.OpenCount,
                    listeners.Listeners.Select(l => l.Snapshot()).Select(l => new ListenerCounters(l.Id, l.BytesIn, l.BytesOut, l.Sessions)).ToArray(), []);
                var sends = broadcaster.Feeds.Select(feed => hub.Clients.Client(feed.ConnectionId).SendAsync(HubEvents.Counters, WithSessions(counters, feed.WatchedSessions), stoppingToken));
                await Task.WhenAll(sends).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private Counters WithSessions(Counters counters, IReadOnlySet<long> watched)
    {
        if (watched.Count == 0)
        {
            return counters;
        }

        var sessions = watched.Take(MaxSessions).Select(plane.Sessions.FindOpen).OfType<Session>().Select(s => s.Snapshot())
            .Select(s => new SessionCounters(s.Id, s.BytesIn, s.BytesOut, s.MessagesIn, s.MessagesOut)).ToArray();
        return counters with { Sessions = sessions };
    }
}

/// <summary>The <c>counters</c> event: cumulative totals at <paramref name="At"/>.</summary>
public sealed record Counters(DateTimeOffset At, long BytesIn, long BytesOut, long MessagesIn, long MessagesOut, int SessionsOpen, IReadOnlyList<ListenerCounters> Listeners,
    IReadOnlyList<SessionCounters> Sessions);

/// <summary>One listener's cumulative bytes and its open sessions.</summary>
public sealed record ListenerCounters(string Id, long BytesIn, long BytesOut, int Sessions);

/// <summary>One watched open session's cumulative bytes and messages.</summary>
public sealed record SessionCounters(long Id, long BytesIn, long BytesOut, long MessagesIn, long MessagesOut);
