// Package phone reads phone extractions as containers: a Cellebrite UFDR
// (a zip holding report.xml and the extracted files) and a GrayKey
// full-file-system zip are expanded into the files of the phone, each
// carrying its provenance (path on the device, deleted flag, timestamps,
// extraction).
//
// A UFDR's report.xml, which can be gigabytes, is streamed (ReadReport)
// with memory bounded whatever its size; each file it lists becomes a
// member named by its device path ("phone.ufdr!/private/var/mobile/Media/
// DCIM/100APPLE/IMG_0001.JPG"), its content read from the zip entry its
// "Local Path" names. A file listed with digests but without content in
// the zip is a member known by its digests alone (Member.Digests, Attrs
// "digest_only"): a known hash on the phone is evidence even when the
// media is gone. Zip entries that no file of the report names are members
// too, under "$Extraction/". A GrayKey zip holds the phone's file system
// as it is ("private/var/..."); its members keep the zip's time stamps,
// the Info-ZIP extended timestamp and NTFS extra fields included.
//
// Kind is the container kind: it claims zips and expands those that are
// neither UFDR nor GrayKey as plain archives (package archive), whose
// limits and zip-bomb checks apply to phone extractions as well; archives
// found on the phone are expanded within the same limits
// (archive.Expander).
package phone
