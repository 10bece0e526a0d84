namespace Gateway.Tls;

/// <summary>
/// Makes (or loads) the gateway CA at start, so that clients can be told to trust it before a listener
/// needs it. Registered after the listeners: a start-up that fails on a listener says only that.
/// </summary>
internal sealed class GatewayCaStartup(GatewayCa ca) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = ca.Certificate;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
