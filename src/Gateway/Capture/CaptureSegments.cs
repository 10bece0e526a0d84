using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Gateway.Capture;

/// <summary>
/// Large payloads of the capture store, outside SQLite: appended to segment files (<c>{n}.seg</c>, about
/// <see cref="SegmentBytes"/> each) in a folder beside the database, one gathered write per batch with no
/// copy of the payloads, while SQLite keeps each message's row with where its bytes are (segment, offset,
/// length). How dumpcap and Arkime reach line rate: payload bytes are written once, sequentially, and the
/// index stays small. A batch's bytes are written before the transaction that points at them commits, so a
/// committed row always finds its bytes (after a kill of the process too; with <c>power</c> durability they
/// are also flushed to the disk first). Each start appends to a new segment, so bytes a crash left behind
/// without a row are never in the way. Retention removes whole segments once no row points into them.
/// </summary>
internal sealed class CaptureSegments : IDisposable
{
    /// <summary>Payloads at least this large go to segments; smaller ones stay in their row, where a segment read would cost more than it saves.</summary>
    public const int MinBytes = 1024;

    /// <summary>A segment is closed and the next one started past this size; also how far retention can lag behind its limit.</summary>
    public const long SegmentBytes = 64L * 1024 * 1024;

    private const string Extension = ".seg";

    private readonly string _folder;
    private readonly long _segmentBytes;
    private readonly ConcurrentDictionary<long, SafeFileHandle> _readers = new();
    private readonly List<ReadOnlyMemory<byte>> _pending = [];
    private SafeFileHandle? _writer;
    private long _segment;
    private long _length;
    private long _pendingStart;
    private long _pendingBytes;

    public CaptureSegments(string folder, long segmentBytes = SegmentBytes)
    {
        _folder = folder;
        _segmentBytes = segmentBytes;
        Directory.CreateDirectory(folder);
        _segment = Existing().DefaultIfEmpty(0).Max(); // the next append opens the one after
        _length = segmentBytes;
    }

    public string Folder => _folder;

    /// <summary>Queues a payload for the next <see cref="Flush"/>; returns where it will be.</summary>
    public (long Segment, long Offset) Append(ReadOnlyMemory<byte> payload)
    {
        if (_length + _pendingBytes + payload.Length > _segmentBytes && _length + _pendingBytes > 0)
        {
            Flush();
            Rotate();
        }

        var at = (_segment, _length + _pendingBytes);
        if (_pending.Count == 0)
        {
            _pendingStart = _length;
        }

        _pending.Add(payload);
        _pendingBytes += payload.Length;
        return at;
    }

    /// <summary>Writes what was appended since the last flush, in one gathered write; with <paramref name="toDisk"/>, waits until the disk has it.</summary>
    public void Flush(bool toDisk = false)
    {
        if (_pending.Count > 0)
        {
            RandomAccess.Write(_writer!, _pending, _pendingStart);
            _length += _pendingBytes;
            _pending.Clear();
            _pendingBytes = 0;
        }

        if (toDisk && _writer is not null)
        {
            RandomAccess.FlushToDisk(_writer);
        }
    }

    /// <summary>Forgets what was appended since the last flush (its transaction failed: nothing points at it).</summary>
    public void Discard()
    {
        _pending.Clear();
        _pendingBytes = 0;
    }

    /// <summary>A stored payload's bytes; empty when its segment is gone (removed by retention after the row was read).</summary>
    public byte[] Read(long segment, long offset, int length)
    {
        try
        {
            var handle = _readers.GetOrAdd(segment, s => File.OpenHandle(PathOf(s), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            var data = new byte[length];
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(handle, data.AsSpan(read), offset + read);
                if (n == 0)
                {
                    return data[..read];
                }

                read += n;
            }

            return data;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return []; // removed by retention while this row was being read (FileNotFoundException is an IOException)
        }
    }

    /// <summary>Removes every segment below <paramref name="segment"/> (no row points into them any more).</summary>
    public void RemoveBelow(long segment)
    {
        foreach (var id in Existing().Where(id => id < segment && id != _segment))
        {
            if (_readers.TryRemove(id, out var handle))
            {
                handle.Dispose();
            }

            try
            {
                File.Delete(PathOf(id));
            }
            catch (IOException)
            {
                // Still open somewhere: the next prune tries again.
            }
        }
    }

    /// <summary>Bytes in segment files, for the store's accounting at start.</summary>
    public long Bytes() => Existing().Sum(id => new FileInfo(PathOf(id)).Length);

    public void Dispose()
    {
        _writer?.Dispose();
        foreach (var handle in _readers.Values)
        {
            handle.Dispose();
        }

        _readers.Clear();
    }

    private void Rotate()
    {
        _writer?.Dispose();
        _segment++;
        _writer = File.OpenHandle(PathOf(_segment), FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
        _length = 0;
    }

    private string PathOf(long segment) => Path.Combine(_folder, segment.ToString("D8", CultureInfo.InvariantCulture) + Extension);

    private IEnumerable<long> Existing() => Directory.EnumerateFiles(_folder, "*" + Extension)
        .Select(f => long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
        .Where(id => id > 0);
}
