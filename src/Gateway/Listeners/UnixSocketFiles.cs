using System.Runtime.InteropServices;

namespace Gateway.Listeners;

/// <summary>A file's identity and type as stat(2) gives them: two paths name the same file when device and inode match.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, uint Mode)
{
    private const uint TypeMask = 0xF000; // S_IFMT

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    public bool SameFileAs(FileIdentity other) => Device == other.Device && Inode == other.Inode;
}

/// <summary>
/// What kind of file a Unix socket path names. A listener removes a stale socket file before binding, and
/// must never remove anything else that happens to be at the path it was given.
/// </summary>
internal static class UnixSocketFiles
{
    /// <summary>True only when the path itself (not a link's target) is a socket file; false otherwise, or when that cannot be told.</summary>
    public static bool IsSocket(string path) => Identify(path, followLinks: false)?.IsSocket == true;

    /// <summary>
    /// The file at <paramref name="path"/>: with <paramref name="followLinks"/> the file a link leads to
    /// (stat), otherwise the link itself (lstat). Null when there is none or it cannot be told (not Linux).
    /// </summary>
    public static FileIdentity? Identify(string path, bool followLinks)
    {
        // Where st_dev, st_ino and st_mode sit in glibc's struct stat.
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (!OperatingSystem.IsLinux() || modeOffset < 0 || path.Contains('\0'))
        {
            return null;
        }

        var stat = new byte[256]; // larger than struct stat on either architecture
        try
        {
            if ((followLinks ? Stat(path, stat) : LStat(path, stat)) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        return new FileIdentity(BitConverter.ToUInt64(stat, 0), BitConverter.ToUInt64(stat, 8), BitConverter.ToUInt32(stat, modeOffset));
    }

    /// <summary>A path that climbs out of where it appears to point (<c>..</c> segments) is refused.</summary>
    public static bool HasParentSegments(string path) =>
        path.Replace('\\', '/').Split('/').Any(segment => segment == "..");

    /// <summary>The path with every link and <c>.</c>/<c>..</c> resolved (realpath(3)); null when it does not exist or cannot be told.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() || path.Contains('\0'))
        {
            return null;
        }

        try
        {
            var resolved = RealPathNative(path, IntPtr.Zero);
            if (resolved == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Marshal.PtrToStringUTF8(resolved);
            }
            finally
            {
                Marshal.FreeHGlobal(resolved); // malloc'd by libc; FreeHGlobal is free() on Unix
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    // DllImport, not LibraryImport: the generated marshalling would need unsafe code for the buffer.
    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] stat);

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] stat);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);
}
