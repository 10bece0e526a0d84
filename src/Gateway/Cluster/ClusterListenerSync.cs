namespace Gateway.Cluster;

/// <summary>
/// Every two seconds, brings this node's cluster listeners to what PostgreSQL holds (<see cref="ClusterListeners.ReconcileAsync"/>):
/// the first time at start, then for whatever a push missed. A failure (PostgreSQL away) is logged once and tried again.
/// </summary>
internal sealed class ClusterListenerSync(ClusterListeners listeners, ILogger<ClusterListenerSync> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? failing = null;
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await listeners.ReconcileAsync(stoppingToken).ConfigureAwait(false);
                failing = null;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested) // a timeout included: a background failure must not stop the node
            {
                if (ex.Message != failing)
                {
                    failing = ex.Message;
                    ClusterLog.ReconcileFailed(logger, ex.Message);
                }
            }
        }
        while (await Tick(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false; // stopping
        }
    }
}
