using Gateway.Traffic;

namespace Gateway.Capture;

/// <summary>Queued behind the events it must see committed; the writer completes it after their batch.</summary>
internal sealed record FlushMarker : TrafficEvent
{
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
