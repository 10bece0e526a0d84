using Gateway.Sessions;

namespace Gateway.Cluster;

/// <summary>
/// Follows the cluster's membership: when a node is declared dead (and no new incarnation of it is active),
/// its sessions are closed here with reason <c>node lost</c>. At start, it learns the sessions the other
/// nodes already have open, so that a node that joins late can tell the same story.
/// </summary>
internal sealed class ClusterWatcher(IClusterMembershipService membership, ClusterEvents events, ClusterView view, ClusterNode node,
    ILogger<ClusterWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = Task.Run(() => LearnOpenSessionsAsync(stoppingToken), stoppingToken);
        var handled = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                try
                {
                    await view.RefreshNamesAsync().ConfigureAwait(false); // a node that joined: its number
                    foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && handled.Add(m.SiloAddress)))
                    {
                        if (member.Name != node.Id && !snapshot.Members.Values.Any(m => m.Name == member.Name && m.Status == SiloStatus.Active))
                        {
                            ClusterLog.NodeLost(logger, member.Name);
                            events.MarkLost(member.Name, DateTimeOffset.UtcNow);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One snapshot's handling failed: the next one is handled anyway (a background failure must not stop the node).
                    ClusterLog.WatchFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task LearnOpenSessionsAsync(CancellationToken stoppingToken)
    {
        // Once this node's silo is in: ask each other node for its open sessions (best effort; events keep the list current after).
        for (var attempt = 0; attempt < 30 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            if (membership.CurrentSnapshot.Members.Values.Any(m => m.Name == node.Id && m.Status == SiloStatus.Active))
            {
                break;
            }
        }

        try
        {
            var open = Capture.SessionQuery.Parse(null, "open", Capture.SessionHistory.MaxSessionPage, null, null, null, "id", null);
            var (sessions, _) = await view.QuerySessionsAsync(open, $"?state=open&sort=id&limit={Capture.SessionHistory.MaxSessionPage}", stoppingToken).ConfigureAwait(false);
            events.Learn(sessions);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The events will tell of the sessions that change from now on.
            ClusterLog.WatchFailed(logger, ex.Message);
        }
    }
}
