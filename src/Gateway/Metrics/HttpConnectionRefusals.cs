using System.Diagnostics.Metrics;

namespace Gateway.Metrics;

/// <summary>
/// HTTP connections Kestrel closed at once because <c>Gateway:Limits:MaxHttpConnections</c> were open,
/// counted from Kestrel's own <c>kestrel.rejected_connections</c> instrument (this app's, not another's in
/// the same process).
/// </summary>
internal sealed class HttpConnectionRefusals : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _refused;

    public HttpConnectionRefusals(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "kestrel.rejected_connections" && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _refused, value));
        _listener.Start();
    }

    public long Refused => Interlocked.Read(ref _refused);

    public void Dispose() => _listener.Dispose();
}
