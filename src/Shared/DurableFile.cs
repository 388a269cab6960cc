using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Attest;

/// <summary>
/// Replaces a file so that after a crash it holds either the old or the new bytes, durably, readable by the owner
/// only (0600). One source file, compiled into the server, the witness and the CLI (each project links it).
/// </summary>
/// <remarks>
/// Contract:
/// - The bytes go to a temporary file of a random name in the same directory, created exclusively (O_EXCL), so two
///   writers of one path never share a temporary file: each renames a whole file of its own, and the last rename wins.
/// - Every step is checked: a failed write, fsync of the file, rename or fsync of the directory throws
///   <see cref="IOException"/> (with the errno), and the temporary file is removed. Nothing is acknowledged on a
///   failure the kernel reported: after a failed fsync the page cache may hold bytes the disk does not.
/// </remarks>
internal static partial class DurableFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Write a temporary file, fsync it, rename it over <paramref name="path"/>, fsync the directory.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        Replace(full, bytes, durable: true);
        SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with a whole file of its own (a unique temporary file, renamed), but makes
    /// nothing durable: no fsync of the file or the directory. Only for derived state that is checked when read and
    /// rebuilt when missing or wrong: after a crash the file may be absent, empty or hold part of the bytes.
    /// </summary>
    public static void WriteDerived(string path, ReadOnlySpan<byte> bytes) => Replace(Path.GetFullPath(path), bytes, durable: false);

    /// <summary>Writes a temporary file of a random name beside <paramref name="full"/> (fsynced when <paramref name="durable"/>) and renames it over it.</summary>
    private static void Replace(string full, ReadOnlySpan<byte> bytes, bool durable)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
            using (var f = new FileStream(tmp, options))
            {
                f.Write(bytes);
                if (durable && OperatingSystem.IsWindows()) f.Flush(flushToDisk: true);
                else if (durable) Fsync(f.SafeFileHandle, tmp);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Makes the directory's entries durable (a rename or a new file in it). .NET has no API for it, so the directory
    /// itself is opened read-only and fsynced.
    /// </summary>
    public static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {dir} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.fsync(fd) != 0) throw new IOException($"fsync of {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Native.close(fd);
        }
    }

    // FileStream.Flush(true) ignores some fsync errors (EINVAL, EROFS, ENOTSUP); a file meant to be durable may not.
    private static void Fsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Native.fsync((int)handle.DangerousGetHandle()) != 0) throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
