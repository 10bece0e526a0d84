namespace Gateway.Listeners;

/// <summary>A listener's session limits and idle timeout.</summary>
internal abstract partial class GatewayListener
{
    private long _refused;
    private long _refusedUnlogged;
    private long _lastRefusalLog = long.MinValue / 2;

    /// <summary>Descriptors one of this listener's sessions holds besides the listener's own socket.</summary>
    protected abstract int DescriptorsPerSession { get; }

    /// <summary>Connections (or new UDP peers) refused at a session limit since start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>
    /// Whether a new session may open now (<c>Gateway:Limits:MaxSessionsPerListener</c> and <c>MaxSessions</c>).
    /// A refusal is counted, and logged at most once a second with how many there were.
    /// </summary>
    protected bool Admit()
    {
        var limits = Plane.Options.Limits;
        var why = Volatile.Read(ref _open) >= limits.MaxSessionsPerListener ? $"Gateway:Limits:MaxSessionsPerListener ({limits.MaxSessionsPerListener})"
            : Plane.Sessions.OpenCount >= limits.MaxSessions ? $"Gateway:Limits:MaxSessions ({limits.MaxSessions})"
            : !Plane.Descriptors.TryReserve(DescriptorsPerSession) ? $"the open-file limit (RLIMIT_NOFILE; {Plane.Descriptors.InUse} descriptors held by sessions)"
            : null;
        if (why is null)
        {
            return true; // the session gives its descriptors back in OnSessionClosed
        }

        Interlocked.Increment(ref _refused);
        Interlocked.Increment(ref _refusedUnlogged);
        Plane.Totals.SessionRefused();
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefusalLog);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
        {
            ListenerLog.Refused(Logger, Name, Interlocked.Exchange(ref _refusedUnlogged, 0), why);
        }

        return false;
    }

    private async Task SweepIdleAsync(CancellationToken stopping)
    {
        if (IdleTimeout is not { } idle)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(idle.TotalSeconds / 4, 0.05, 5)), Plane.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                var now = Plane.Now;
                foreach (var session in Plane.Sessions.ListOpen(Id))
                {
                    if (now - session.LastActivity >= idle)
                    {
                        _ = session.CloseAsync("idle timeout");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Listener stopping.
        }
    }
}
