using System.Runtime.InteropServices;

namespace Gateway.Configuration;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE), and the budget the gateway's own limits must fit in:
/// every HTTP connection holds one descriptor, a stream relay session two (client and upstream legs), any
/// other session at most one. Running out kills more than the request that hit it, so the limits are made
/// to fit at start (for the listeners configured then), and sessions are admitted against the descriptors
/// really left (<see cref="Sessions.DescriptorBudget"/>), whatever listeners are added later.
/// </summary>
internal static class FileDescriptors
{
    /// <summary>Descriptors kept aside for the runtime, listeners, the capture store's files, logs and the like.</summary>
    public const int Headroom = 512;

    private const int RlimitNofile = 7;

    /// <summary>The soft limit in force now (after <see cref="RaiseSoftLimit"/>); null where it cannot be told.</summary>
    public static long? Limit => OperatingSystem.IsLinux() && GetLimit(RlimitNofile, out var limit) == 0 ? (long)Math.Min(limit.Current, long.MaxValue) : null;

    /// <summary>What the limits need: HTTP connections, each session's descriptors (two if a configured listener is a stream relay), and the headroom.</summary>
    public static long Needed(GatewayOptions options) =>
        options.Limits.MaxHttpConnections + PerSession(options) * (long)options.Limits.MaxSessions + Headroom;

    /// <summary>Descriptors a session may hold: two where a configured listener relays a stream, else one.</summary>
    public static int PerSession(GatewayOptions options) =>
        options.Listeners.Any(l => !string.IsNullOrWhiteSpace(l.Upstream) && !string.Equals(l.Protocol, "udp", StringComparison.OrdinalIgnoreCase)) ? 2 : 1;

    /// <summary>Raises the soft limit to the hard one (what any process may do for itself). Returns the old and new soft limits.</summary>
    public static (long Before, long After)? RaiseSoftLimit()
    {
        if (!OperatingSystem.IsLinux() || GetLimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        var before = limit.Current;
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (SetLimit(RlimitNofile, in raised) == 0)
            {
                limit = raised;
            }
        }

        return ((long)Math.Min(before, long.MaxValue), (long)Math.Min(limit.Current, long.MaxValue));
    }

    /// <summary>
    /// Lowers the limits the configuration left at their defaults until they fit under <paramref name="available"/>;
    /// returns a sentence saying what was lowered, or null. Limits set explicitly are left for validation to refuse.
    /// </summary>
    public static string? FitDefaults(GatewayOptions options, long available, bool sessionsExplicit, bool httpExplicit)
    {
        var limits = options.Limits;
        if (Needed(options) <= available)
        {
            return null;
        }

        var (sessions, http) = (limits.MaxSessions, limits.MaxHttpConnections);
        if (!httpExplicit)
        {
            // HTTP gets at most a tenth of what is there, sessions the rest.
            limits.MaxHttpConnections = (int)Math.Clamp(Math.Min(limits.MaxHttpConnections, (available - Headroom) / 10), 1, int.MaxValue);
        }

        if (!sessionsExplicit)
        {
            limits.MaxSessions = (int)Math.Clamp((available - Headroom - limits.MaxHttpConnections) / PerSession(options), 1, int.MaxValue);
            limits.MaxSessionsPerListener = Math.Min(limits.MaxSessionsPerListener, limits.MaxSessions);
        }

        var lowered = new List<string>();
        if (sessions != limits.MaxSessions)
        {
            lowered.Add($"Gateway:Limits:MaxSessions lowered from {sessions} to {limits.MaxSessions}");
        }

        if (http != limits.MaxHttpConnections)
        {
            lowered.Add($"Gateway:Limits:MaxHttpConnections lowered from {http} to {limits.MaxHttpConnections}");
        }

        return lowered.Count == 0
            ? null
            : $"The process may open {available} files (RLIMIT_NOFILE): {string.Join(" and ", lowered)}, so that sessions ({PerSession(options)} descriptors each) "
              + $"and HTTP connections fit with {Headroom} to spare. Raise the limit (ulimit -n, LimitNOFILE=) to keep the defaults.";
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Maximum);

    // DllImport, not LibraryImport: the generated marshalling would need unsafe code.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetLimit(int resource, in RLimit limit);
}
