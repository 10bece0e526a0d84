using System.Runtime.InteropServices;

namespace Gateway.Listeners;

/// <summary>
/// What kind of file a Unix socket path names. A listener removes a stale socket file before binding, and
/// must never remove anything else that happens to be at the path it was given.
/// </summary>
internal static class UnixSocketFiles
{
    private const uint TypeMask = 0xF000; // S_IFMT
    private const uint Socket = 0xC000;   // S_IFSOCK

    /// <summary>True only when the path is a socket file; false for anything else, or when that cannot be told.</summary>
    public static bool IsSocket(string path)
    {
        // Where st_mode sits in glibc's struct stat.
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (!OperatingSystem.IsLinux() || modeOffset < 0)
        {
            return false;
        }

        var stat = new byte[256]; // larger than struct stat on either architecture
        try
        {
            if (LStat(path, stat) != 0)
            {
                return false;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }

        return (BitConverter.ToUInt32(stat, modeOffset) & TypeMask) == Socket;
    }

    /// <summary>A path that climbs out of where it appears to point (<c>..</c> segments) is refused.</summary>
    public static bool HasParentSegments(string path) =>
        path.Replace('\\', '/').Split('/').Any(segment => segment == "..");

    // DllImport, not LibraryImport: the generated marshalling would need unsafe code for the buffer.
    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] stat);
}
