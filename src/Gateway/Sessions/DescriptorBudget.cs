using Gateway.Configuration;

namespace Gateway.Sessions;

/// <summary>
/// The file descriptors sessions may hold: the process's limit less the headroom and what HTTP connections
/// may take. A session is admitted only when its descriptors (a stream relay two, other stream and
/// outbound sessions one, a UDP peer none, a UDP relay peer one) fit; so whatever listeners are added at
/// runtime, the process never runs out of descriptors and dies.
/// </summary>
internal sealed class DescriptorBudget(long capacity)
{
    private long _inUse;

    public static DescriptorBudget For(GatewayOptions options) =>
        new(FileDescriptors.Limit is { } limit ? Math.Max(0, limit - FileDescriptors.Headroom - options.Limits.MaxHttpConnections) : long.MaxValue);

    public long Capacity { get; } = capacity;

    public long InUse => Interlocked.Read(ref _inUse);

    public bool TryReserve(int descriptors)
    {
        if (Interlocked.Add(ref _inUse, descriptors) <= Capacity)
        {
            return true;
        }

        Interlocked.Add(ref _inUse, -descriptors);
        return false;
    }

    public void Release(int descriptors) => Interlocked.Add(ref _inUse, -descriptors);
}
